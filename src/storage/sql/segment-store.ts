// Storage of business segments: definitions and their versions, memberships, the change log and the
// schedule of time-relative re-evaluations. The transactional half runs inside ingest transactions,
// so a membership changes in the same transaction as the profile change that causes it.
import { type Kysely, sql } from 'kysely'
import { AppError } from '../../errors.ts'
import type { EventNeed } from '../../domain/condition.ts'
import { compileCondition } from './condition-sql.ts'
import { chunks, MAX_IN_LIST, precompileMemberPage, profileContacts } from './members.ts'
import { precompile } from './precompile.ts'
import type { SqlDatabase } from './open.ts'
import type { Database, ProfilesTable, SegmentsTable } from './schema.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { allFields, conditionFieldTable, fieldsFromColumns } from '../../domain/profile-fields.ts'
import type { EventOccurrence, SegmentProfile } from '../../domain/segment-view.ts'
import type { SegmentChange, SegmentMemberRow, SegmentRow, SegmentVersionRow } from '../../domain/segment.ts'
import type { SegmentEvents, SegmentStore, SegmentTransaction } from '../ports/segments.ts'

function segmentFromRow(row: SegmentsTable): SegmentRow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    definition: JSON.parse(row.definition) as unknown,
    requiredConsent: JSON.parse(row.required_consent) as string[],
    version: Number(row.version),
    members: Number(row.members),
    state: row.state,
    backfillProcessed: Number(row.backfill_processed),
    backfillTotal: Number(row.backfill_total),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** Which profiles' events to read: listed ids (chunked), or a backfill page's id range (afterId, lastId]. */
type EventScope = { profileIds: readonly string[] } | { afterId: string | undefined; lastId: string }

/**
 * The occurrences segment evaluation needs (see EventNeed), read through events_profile_name_at:
 * every occurrence of a name some condition counts over all time; else those at or after the longest
 * window's start, plus the earliest and latest (each found by an index probe per profile) when
 * first/last ask for them. Windows reach back from `now`, rounded down, so evaluating at `now` or
 * later sees every occurrence it can count.
 */
export async function loadSegmentEvents(
  executor: Kysely<Database>,
  scope: EventScope,
  events: ReadonlyMap<string, EventNeed>,
  now: number,
): Promise<SegmentEvents> {
  const out: SegmentEvents = new Map()
  if (events.size === 0) return out
  const parts = 'profileIds' in scope ? chunks([...new Set(scope.profileIds)], MAX_IN_LIST) : [null]
  const seen = new Set<number>()
  const add = (rows: Array<{ id: number; profile_id: string; name: string; at: number; properties: string }>) => {
    for (const row of rows) {
      const id = Number(row.id)
      if (seen.has(id)) continue
      seen.add(id)
      const byName = out.get(row.profile_id) ?? new Map<string, EventOccurrence[]>()
      out.set(row.profile_id, byName)
      const list = byName.get(row.name) ?? []
      byName.set(row.name, list)
      list.push({ at: Number(row.at), properties: parseProperties(row.properties) })
    }
  }
  for (const [name, need] of events) {
    for (const part of parts) {
      if (need.allTime || need.windowMs > 0) {
        let query = executor.selectFrom('events').select(['id', 'profile_id', 'name', 'at', 'properties']).where('name', '=', name)
        if (part !== null) query = query.where('profile_id', 'in', part)
        else if ('lastId' in scope) {
          query = query.where('profile_id', '<=', scope.lastId)
          if (scope.afterId !== undefined) query = query.where('profile_id', '>', scope.afterId)
        }
        if (!need.allTime) query = query.where('at', '>=', Math.floor(now - need.windowMs))
        add(await query.orderBy('profile_id').orderBy('at').orderBy('id').execute())
      }
      if (need.edges && !need.allTime) {
        for (const edge of [sql`min`, sql`max`]) {
          let profiles = sql`p.id IN (${sql.join(part ?? [])})`
          if (part === null && 'lastId' in scope) {
            profiles = scope.afterId === undefined ? sql`p.id <= ${scope.lastId}` : sql`p.id > ${scope.afterId} AND p.id <= ${scope.lastId}`
          }
          const rows = await sql<{ id: number; profile_id: string; name: string; at: number; properties: string }>`
            SELECT ev.id, ev.profile_id, ev.name, ev.at, ev.properties
            FROM (SELECT p.id AS profile_id, (SELECT ${edge}(e.at) FROM events e WHERE e.profile_id = p.id AND e.name = ${name}) AS edge_at
                  FROM profiles p WHERE ${profiles}) b
            JOIN events ev ON ev.profile_id = b.profile_id AND ev.name = ${name} AND ev.at = b.edge_at`.execute(executor)
          add(rows.rows)
        }
      }
    }
  }
  // Several reads may have contributed to one list: oldest first, as SegmentProfile.events promises.
  for (const byName of out.values()) for (const list of byName.values()) list.sort((a, b) => a.at - b.at)
  return out
}

/** A properties column that is not a JSON object reads as no properties, as json_extract and -> see it. */
function parseProperties(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text)
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/** profiles.consent ({purpose: {granted, at, source}}) as conditions read it: purpose -> granted. */
function consentGranted(text: string): Record<string, boolean> {
  const out: Record<string, boolean> = {}
  for (const [purpose, state] of Object.entries(JSON.parse(text) as Record<string, { granted: boolean }>)) out[purpose] = state.granted === true
  return out
}

/** The profile columns segment conditions read: each field they can name, from the field table. */
const SEGMENT_FIELD_TABLE = conditionFieldTable()
const SEGMENT_VIEW_COLUMNS = ['id', 'email', ...Object.values(SEGMENT_FIELD_TABLE).map((spec) => spec.column), 'traits', 'consent', 'first_seen', 'last_seen'] as Array<keyof ProfilesTable>

/** The field values of a segment view: every field segment conditions can name. */
type SegmentViewFields = Omit<SegmentProfile, 'id' | 'email' | 'traits' | 'first_seen' | 'last_seen' | 'interests' | 'cohorts' | 'consent' | 'segments' | 'events'>

export function createSegmentTransaction(trx: Trx, dialect: SqlDialect): SegmentTransaction {
  const deletePairs = (table: 'segment_memberships' | 'segment_schedule', pairs: Array<{ segmentId: string; profileId: string }>) => dialect.deletePairs(trx, table, pairs)

  return {
    async loadSegmentMemberships(profileIds) {
      const out = new Map<string, Set<string>>()
      for (const part of chunks([...new Set(profileIds)], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('segment_memberships').select(['segment_id', 'profile_id']).where('profile_id', 'in', part).execute()
        for (const row of rows) {
          const set = out.get(row.profile_id) ?? new Set<string>()
          set.add(row.segment_id)
          out.set(row.profile_id, set)
        }
      }
      return out
    },

    async loadSegmentSchedule(profileIds) {
      const out = new Map<string, Map<string, number>>()
      for (const part of chunks([...new Set(profileIds)], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('segment_schedule').select(['segment_id', 'profile_id', 'due_at']).where('profile_id', 'in', part).execute()
        for (const row of rows) {
          const map = out.get(row.profile_id) ?? new Map<string, number>()
          map.set(row.segment_id, Number(row.due_at))
          out.set(row.profile_id, map)
        }
      }
      return out
    },

    async loadSegmentEvents({ profileIds, events, now }) {
      return loadSegmentEvents(trx, { profileIds }, events, now)
    },

    async loadSegmentViews({ afterId, lastId, needs, now }) {
      // Ranges over keys that start with profile_id: one seek and a sequential read per table.
      let profiles = trx
        .selectFrom('profiles')
        .select(SEGMENT_VIEW_COLUMNS)
        .where('id', '<=', lastId)
        .orderBy('id')
      if (afterId !== undefined) profiles = profiles.where('id', '>', afterId)
      let interests = trx.selectFrom('profile_interests').select(['profile_id', 'interest']).where('profile_id', '<=', lastId)
      if (afterId !== undefined) interests = interests.where('profile_id', '>', afterId)
      let cohorts = trx
        .selectFrom('cohort_memberships')
        .innerJoin('cohorts', 'cohorts.id', 'cohort_memberships.cohort_id')
        .select(['cohort_memberships.profile_id', 'cohorts.name_key', 'cohort_memberships.score'])
        .where('cohort_memberships.profile_id', '<=', lastId)
      if (afterId !== undefined) cohorts = cohorts.where('cohort_memberships.profile_id', '>', afterId)
      let segments = trx.selectFrom('segment_memberships').select(['profile_id', 'segment_id']).where('profile_id', '<=', lastId)
      if (afterId !== undefined) segments = segments.where('profile_id', '>', afterId)
      let schedule = trx.selectFrom('segment_schedule').select(['profile_id', 'segment_id', 'due_at']).where('profile_id', '<=', lastId)
      if (afterId !== undefined) schedule = schedule.where('profile_id', '>', afterId)

      const interestsOf = new Map<string, string[]>()
      for (const r of needs.interests ? await interests.execute() : []) {
        const list = interestsOf.get(r.profile_id)
        if (list) list.push(r.interest)
        else interestsOf.set(r.profile_id, [r.interest])
      }
      const cohortsOf = new Map<string, Map<string, number>>()
      for (const r of needs.cohorts ? await cohorts.execute() : []) {
        const map = cohortsOf.get(r.profile_id) ?? new Map<string, number>()
        map.set(r.name_key, Number(r.score))
        cohortsOf.set(r.profile_id, map)
      }
      const segmentsOf = new Map<string, Set<string>>()
      for (const r of await segments.execute()) {
        const set = segmentsOf.get(r.profile_id) ?? new Set<string>()
        set.add(r.segment_id)
        segmentsOf.set(r.profile_id, set)
      }
      const scheduled = new Map<string, Map<string, number>>()
      for (const r of await schedule.execute()) {
        const map = scheduled.get(r.profile_id) ?? new Map<string, number>()
        map.set(r.segment_id, Number(r.due_at))
        scheduled.set(r.profile_id, map)
      }
      const eventsOf = await loadSegmentEvents(trx, { afterId, lastId }, needs.events, now)
      const none = new Map<string, number>()
      const noEvents = new Map<string, EventOccurrence[]>()
      const views = (await profiles.execute()).map((r) => ({
        id: r.id,
        email: r.email,
        ...(allFields(fieldsFromColumns(r, SEGMENT_FIELD_TABLE), SEGMENT_FIELD_TABLE) as SegmentViewFields),
        traits: needs.traits ? (JSON.parse(r.traits) as Record<string, unknown>) : {},
        first_seen: Number(r.first_seen),
        last_seen: Number(r.last_seen),
        interests: interestsOf.get(r.id) ?? [],
        cohorts: cohortsOf.get(r.id) ?? none,
        consent: needs.consent ? consentGranted(r.consent) : {},
        segments: segmentsOf.get(r.id) ?? new Set<string>(),
        events: eventsOf.get(r.id) ?? noEvents,
      }))
      return { views, scheduled }
    },

    async applySegmentChanges({ changes, schedule, now }) {
      if (changes.length > 0) {
        const entered = changes.filter((c) => c.change === 'entered')
        await dialect.upsertMany(
          trx,
          'segment_memberships',
          entered.map((c) => ({ segment_id: c.segmentId, profile_id: c.profileId, entered_at: now })),
          { conflict: ['segment_id', 'profile_id'], update: [] },
        )
        await deletePairs('segment_memberships', changes.filter((c) => c.change === 'left'))
        await dialect.upsertMany(
          trx,
          'segment_changes',
          changes.map((c) => ({ segment_id: c.segmentId, profile_id: c.profileId, change: c.change, reason: c.reason, at: now })),
          { conflict: ['id'], update: [] },
        )
        const deltas = new Map<string, number>()
        for (const c of changes) deltas.set(c.segmentId, (deltas.get(c.segmentId) ?? 0) + (c.change === 'entered' ? 1 : -1))
        const sorted = [...deltas].filter(([, delta]) => delta !== 0).sort(([a], [b]) => (a < b ? -1 : 1))
        await dialect.addMembers(trx, 'segments', sorted)
      }
      await dialect.upsertMany(
        trx,
        'segment_schedule',
        schedule.filter((s) => s.dueAt !== null).map((s) => ({ segment_id: s.segmentId, profile_id: s.profileId, due_at: s.dueAt })),
        { conflict: ['segment_id', 'profile_id'], update: ['due_at'] },
      )
      await deletePairs('segment_schedule', schedule.filter((s) => s.dueAt === null))
    },

    async segmentPage({ segmentId, afterId, limit, condition, now }) {
      // The page's profiles, locked on PostgreSQL like an ingest batch locks them, so a concurrent
      // batch and the backfill never write from stale reads.
      let idQuery = trx.selectFrom('profiles').select('id').orderBy('id').limit(limit)
      if (afterId !== undefined) idQuery = idQuery.where('id', '>', afterId)
      idQuery = dialect.lockRows(idQuery)
      const ids = (await idQuery.execute()).map((r) => r.id)
      const last = ids[ids.length - 1]
      if (last === undefined) return { ids, matching: null, members: new Set() }
      let members = trx.selectFrom('segment_memberships').select('profile_id').where('segment_id', '=', segmentId).where('profile_id', '<=', last)
      if (afterId !== undefined) members = members.where('profile_id', '>', afterId)
      const memberIds = new Set((await members.execute()).map((r) => r.profile_id))
      if (!condition) return { ids, matching: null, members: memberIds }
      let matching = trx.selectFrom('profiles').select('id').where('id', '<=', last).where(compileCondition(condition, { dialect, now }))
      if (afterId !== undefined) matching = matching.where('id', '>', afterId)
      return { ids, matching: new Set((await matching.execute()).map((r) => r.id)), members: memberIds }
    },
  }
}

export function createSegmentStore(database: SqlDatabase): SegmentStore {
  const { db, reader, dialect } = database
  // Read by every GET /api/user and member page: compiled once.
  const memberPage = precompileMemberPage(database, dialect, 'segment_memberships', 'segment_id', ['entered_at'] as const)
  const profileSegments = precompile(database, (p) => reader.selectFrom('segment_memberships').select(['segment_id', 'entered_at']).where('profile_id', '=', p('id')))

  async function insertVersion(executor: Kysely<Database>, row: { segmentId: string; version: number; name: string; description: string; definition: string; requiredConsent: string; now: number }) {
    await executor
      .insertInto('segment_versions')
      .values({ segment_id: row.segmentId, version: row.version, name: row.name, description: row.description, definition: row.definition, required_consent: row.requiredConsent, created_at: row.now })
      .execute()
  }

  return {
    async createSegment({ id, name, description, definition, requiredConsent, now }) {
      const nameKey = name.trim().toLowerCase()
      const taken = await db.selectFrom('segments').select('id').where('name_key', '=', nameKey).executeTakeFirst()
      if (taken) throw new AppError('conflict', `a segment named "${name}" already exists (${taken.id}): choose another name or PUT /api/segments/${taken.id}`)
      const json = JSON.stringify(definition)
      const consent = JSON.stringify(requiredConsent)
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('segments')
          .values({ id, name, name_key: nameKey, description, definition: json, required_consent: consent, version: 1, members: 0, state: 'backfilling', backfill_processed: 0, backfill_total: 0, created_at: now, updated_at: now })
          .execute()
        await insertVersion(trx, { segmentId: id, version: 1, name, description, definition: json, requiredConsent: consent, now })
      })
    },

    async updateSegment({ id, name, description, definition, requiredConsent, now }) {
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('segments').selectAll().where('id', '=', id).executeTakeFirst()
        if (!row) throw new AppError('not_found', `no segment ${id}`)
        const nameKey = name.trim().toLowerCase()
        const taken = await trx.selectFrom('segments').select('id').where('name_key', '=', nameKey).where('id', '!=', id).executeTakeFirst()
        if (taken) throw new AppError('conflict', `a segment named "${name}" already exists (${taken.id}): choose another name`)
        const version = Number(row.version) + 1
        const json = JSON.stringify(definition)
        const consent = JSON.stringify(requiredConsent)
        await trx
          .updateTable('segments')
          .set({ name, name_key: nameKey, description, definition: json, required_consent: consent, version, state: 'backfilling', backfill_processed: 0, backfill_total: 0, updated_at: now })
          .where('id', '=', id)
          .execute()
        await insertVersion(trx, { segmentId: id, version, name, description, definition: json, requiredConsent: consent, now })
        return version
      })
    },

    async deleteSegment(id) {
      return db.transaction().execute(async (trx) => {
        const gone = await trx.deleteFrom('segments').where('id', '=', id).executeTakeFirst()
        if (Number(gone.numDeletedRows) === 0) return false
        await trx.deleteFrom('segment_memberships').where('segment_id', '=', id).execute()
        await trx.deleteFrom('segment_schedule').where('segment_id', '=', id).execute()
        await trx.updateTable('webhooks').set({ deleted_at: Date.now() }).where('segment_id', '=', id).where('deleted_at', 'is', null).execute()
        return true
      })
    },

    async getSegment(idOrName) {
      const key = idOrName.trim().toLowerCase()
      const row = await reader
        .selectFrom('segments')
        .selectAll()
        .where((eb) => eb.or([eb('id', '=', idOrName.trim()), eb('name_key', '=', key)]))
        .executeTakeFirst()
      return row ? segmentFromRow(row) : undefined
    },

    async listSegments() {
      return (await reader.selectFrom('segments').selectAll().orderBy('name').execute()).map(segmentFromRow)
    },

    async listSegmentVersions(id) {
      const rows = await reader.selectFrom('segment_versions').selectAll().where('segment_id', '=', id).orderBy('version').execute()
      return rows.map(
        (r): SegmentVersionRow => ({
          version: Number(r.version),
          name: r.name,
          description: r.description,
          definition: JSON.parse(r.definition) as unknown,
          requiredConsent: JSON.parse(r.required_consent) as string[],
          createdAt: Number(r.created_at),
        }),
      )
    },

    async setBackfillProgress({ id, version, processed, total, done }) {
      // Only for the version the backfill evaluated: an edit meanwhile starts its own backfill.
      await db
        .updateTable('segments')
        .set({ backfill_processed: processed, backfill_total: total, ...(done ? { state: 'ready' as const } : {}) })
        .where('id', '=', id)
        .where('version', '=', version)
        .execute()
    },

    async listSegmentMembers({ segmentId, limit, offset, afterProfileId }) {
      const rows = await memberPage({ audienceId: segmentId, afterProfileId, limit, offset })
      return rows.map((m) => ({ profileId: m.profile_id, email: m.email, cookie: m.cookie, enteredAt: Number(m.entered_at) }))
    },

    async previewSegment({ condition, sample, now }) {
      const filter = compileCondition(condition, { dialect, now })
      // One statement for the count and the sample: the filter's sets (an interest scan, a cohort) are
      // built once, where a count and then a sample query built them twice.
      const rows = await reader
        .selectFrom('profiles')
        .select((eb) => ['id', eb.fn.countAll<number>().over().as('n')])
        .where(filter)
        .orderBy('id')
        .limit(Math.max(sample, 1))
        .execute()
      const members = await attachIdentity(
        reader,
        dialect,
        rows.slice(0, sample).map((r) => ({ profile_id: r.id, entered_at: now })),
      )
      return { count: Number(rows[0]?.n ?? 0), sample: members }
    },

    async listDueSchedule({ now, limit }) {
      const rows = await reader.selectFrom('segment_schedule').select(['segment_id', 'profile_id', 'due_at']).where('due_at', '<=', now).orderBy('due_at').limit(limit).execute()
      return rows.map((r) => ({ segmentId: r.segment_id, profileId: r.profile_id, dueAt: Number(r.due_at) }))
    },

    async listProfileSegments(profileId) {
      const rows = await profileSegments({ id: profileId })
      return new Map(rows.map((r) => [r.segment_id, Number(r.entered_at)]))
    },

    async loadSegmentEvents({ profileIds, events, now }) {
      return loadSegmentEvents(reader, { profileIds }, events, now)
    },

    async listChanges({ segmentId, afterId, limit }) {
      let query = reader.selectFrom('segment_changes').selectAll().where('segment_id', '=', segmentId).orderBy('id').limit(limit)
      if (afterId !== undefined) query = query.where('id', '>', afterId)
      return (await query.execute()).map(
        (r): SegmentChange & { id: number; at: number } => ({ id: Number(r.id), segmentId: r.segment_id, profileId: r.profile_id, change: r.change, reason: r.reason, at: Number(r.at) }),
      )
    },
  }
}

/** Adds each member's email and most recent cookie. */
async function attachIdentity(
  reader: Kysely<Database>,
  dialect: SqlDialect,
  members: Array<{ profile_id: string; entered_at: number }>,
): Promise<SegmentMemberRow[]> {
  if (members.length === 0) return []
  const contacts = await profileContacts(reader, dialect, members.map((m) => m.profile_id))
  return members.map((m) => ({
    profileId: m.profile_id,
    email: contacts.get(m.profile_id)?.email ?? null,
    cookie: contacts.get(m.profile_id)?.cookie ?? null,
    enteredAt: Number(m.entered_at),
  }))
}
