// Privacy storage over Kysely: the rows a person's footprint is decided from, erasure in chunks and
// in one final transaction, privacy jobs and their pending identifiers, the suppression list, the
// access export's reads and retention purges. Reads go through `reader`, writes through `db`.
import { type Kysely, type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely'
import type { Login } from '../../domain/profile.ts'
import type { ErasePlan, ErasureResult, ErasureTarget, ExportedRawRecord, IdentityRow, PersonRows, PrivacyJobRow, PrivacyStore, RawCandidate } from '../ports/privacy.ts'
import type { Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { SqlDatabase } from './open.ts'
import { COLUMN_TYPES, type Database } from './schema.ts'
import { deleteDeviceSightings, exportDeviceSightings } from './likely-match-store.ts'

const SALT_SETTING = 'privacy_salt'
const MAX_ATTEMPTS = 5

type Reader = Kysely<Database> | Trx

function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    // A value that was never JSON is exported as the text it was.
    return text
  }
}

function jobFromRow(row: Database['privacy_jobs']): PrivacyJobRow {
  return {
    id: row.id,
    status: row.status,
    requestedBy: row.requested_by,
    requestedAt: Number(row.requested_at),
    identifiersHash: row.identifiers_hash,
    identifierCount: Number(row.identifier_count),
    suppress: Number(row.suppress) === 1,
    counts: JSON.parse(row.counts) as Record<string, number>,
    error: row.error,
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  }
}

function add(counts: Record<string, number>, table: string, n: number | bigint | undefined): void {
  const value = Number(n ?? 0)
  if (value > 0) counts[table] = (counts[table] ?? 0) + value
}

/** A JSON value with every string in `values` replaced by null (the erased person's, in a kept merge row's detail). */
function clearStrings(value: unknown, values: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return values.has(value) ? null : value
  if (Array.isArray(value)) return value.map((v) => clearStrings(v, values))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clearStrings(v, values)]))
  return value
}

export function createPrivacyStore(database: SqlDatabase): PrivacyStore {
  const { db, reader, dialect } = database

  async function loadPersonRows(from: Reader, person: { profileId: string | null; emails: string[]; cookies: string[]; userIds: string[] }): Promise<PersonRows> {
    const identities: IdentityRow[] = []
    if (person.profileId) {
      const rows = await from.selectFrom('identities').select(['kind', 'value', 'first_seen', 'last_seen']).where('profile_id', '=', person.profileId).execute()
      for (const r of rows) identities.push({ kind: r.kind, value: r.value, firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen) })
    }
    const emails = new Set(person.emails)
    const cookies = new Set(person.cookies)
    for (const i of identities) {
      if (i.kind === 'email') emails.add(i.value)
      if (i.kind === 'cookie') cookies.add(i.value)
      if (i.kind === 'user') cookies.add(`uid:${i.value}`)
    }
    for (const u of person.userIds) cookies.add(`uid:${u}`)
    // A shared cookie another person holds now still carries this person's earlier anonymous rows.
    const loginCookies = new Set<string>()
    for (const part of chunks([...emails], MAX_IN_LIST)) {
      for (const l of await from.selectFrom('logins').select('cookie').distinct().where('email', 'in', part).execute()) loginCookies.add(l.cookie)
    }
    for (const c of loginCookies) cookies.add(c)
    const logins = new Map<string, Login[]>()
    const candidates: RawCandidate[] = []
    const candidate = (r: { id: number; status: RawCandidate['status']; cookie: string | null; email: string | null; observed_at: number | null }): RawCandidate => ({
      id: Number(r.id),
      status: r.status,
      cookie: r.cookie,
      email: r.email,
      observedAt: r.observed_at === null ? null : Number(r.observed_at),
    })
    const routing = ['id', 'status', 'cookie', 'email', 'observed_at'] as const
    for (const part of chunks([...cookies], MAX_IN_LIST)) {
      for (const l of await from.selectFrom('logins').select(['cookie', 'email', 'observed_at']).where('cookie', 'in', part).execute()) {
        const list = logins.get(l.cookie) ?? []
        list.push({ email: l.email, at: Number(l.observed_at) })
        logins.set(l.cookie, list)
      }
      const anonymous = await from.selectFrom('raw_records').select(routing).where('email', 'is', null).where('cookie', 'in', part).where('status', '=', 'accepted').execute()
      for (const r of anonymous) candidates.push(candidate(r))
    }
    for (const part of chunks([...emails], MAX_IN_LIST)) {
      const own = await from.selectFrom('raw_records').select(routing).where('email', 'in', part).where('status', '=', 'accepted').execute()
      for (const r of own) candidates.push(candidate(r))
    }
    const eventRawIds: number[] = []
    if (person.profileId) {
      const rows = await from.selectFrom('events').select('raw_id').where('profile_id', '=', person.profileId).where('raw_id', 'is not', null).execute()
      for (const r of rows) eventRawIds.push(Number(r.raw_id))
    }
    // Rejected and superseded rows, each through its partial index (few next to accepted ones): those
    // with one of the cookies or emails, or whose payload holds an email (any ASCII case) or a user id
    // as text. The footprint rule then keeps those where it is a whole JSON string value.
    const unresolved: RawCandidate[] = []
    const userIds = new Set([...person.userIds, ...identities.filter((i) => i.kind === 'user').map((i) => i.value)])
    const payloadTerms = [...[...emails].map((text) => ({ folded: true, text })), ...[...userIds].map((text) => ({ folded: false, text }))]
    // As the payload spells a value inside a JSON string.
    const inJson = (text: string) => JSON.stringify(text).slice(1, -1)
    const anything = cookies.size + emails.size + payloadTerms.length > 0
    for (const status of anything ? (['rejected', 'superseded'] as const) : []) {
      const rows = await from
        .selectFrom('raw_records')
        .select([...routing, 'payload'])
        .where('status', '=', status)
        .where((eb) =>
          eb.or([
            ...(cookies.size > 0 ? [eb('cookie', 'in', [...cookies])] : []),
            ...(emails.size > 0 ? [eb('email', 'in', [...emails])] : []),
            ...payloadTerms.map((t) => dialect.contains(t.folded ? dialect.fold(sql.ref('payload')) : sql.ref('payload'), dialect.param(inJson(t.text), 'text')) as RawBuilder<SqlBool>),
          ]),
        )
        .execute()
      for (const r of rows) unresolved.push({ ...candidate(r), payload: r.payload })
    }
    return { profileId: person.profileId, identities, loginCookies: [...loginCookies], logins, candidates, eventRawIds, unresolved }
  }

  async function deleteRawIn(trx: Trx, ids: readonly number[]): Promise<number> {
    let n = 0
    for (const part of chunks(ids, MAX_IN_LIST)) n += Number((await trx.deleteFrom('raw_records').where('id', 'in', part).executeTakeFirst()).numDeletedRows)
    return n
  }

  /**
   * The merge-log rows that name the person: their profile ids as survivor or absorbed, or one of
   * their identifiers. A row that names nobody else alive is theirs alone and goes. A row that also
   * names another person (a shared cookie that moved between them, an unmerge that split them, a
   * refusal on the other's profile) is that person's history too: it stays, with every trace of the
   * erased person cleared to null (their profile ids, the identifier when it is theirs, their strings
   * in detail, the raw record when it was theirs). Their identifiers are their emails and user ids,
   * and their cookies that no one else logs in on: a cookie another person still uses is theirs too.
   */
  async function clearMergeHistory(trx: Trx, plan: ErasePlan, counts: Record<string, number>): Promise<void> {
    const ids = new Set(plan.profileIds)
    const shared = new Set<string>()
    for (const part of chunks(plan.ownCookies, MAX_IN_LIST)) {
      for (const l of await trx.selectFrom('logins').select('cookie').distinct().where('cookie', 'in', part).execute()) shared.add(l.cookie)
    }
    const theirs = new Set([...plan.emails, ...plan.userIds, ...plan.ownCookies.filter((c) => !shared.has(c))])
    const rows = new Map<number, Selectable<Database['merges']>>()
    const collect = (found: Array<Selectable<Database['merges']>>) => {
      for (const r of found) rows.set(Number(r.id), r)
    }
    for (const part of chunks([...ids], MAX_IN_LIST)) {
      collect(await trx.selectFrom('merges').selectAll().where((eb) => eb.or([eb('survivor_id', 'in', part), eb('absorbed_id', 'in', part)])).execute())
    }
    for (const part of chunks([...theirs], MAX_IN_LIST)) collect(await trx.selectFrom('merges').selectAll().where('identifier', 'in', part).execute())
    if (rows.size === 0) return
    // The other people the rows name, alive as a profile or as an id a profile absorbed.
    const others = new Set<string>()
    for (const r of rows.values()) for (const id of [r.survivor_id, r.absorbed_id]) if (id !== null && !ids.has(id)) others.add(id)
    const alive = new Set<string>()
    for (const part of chunks([...others], MAX_IN_LIST)) {
      for (const p of await trx.selectFrom('profiles').select('id').where('id', 'in', part).execute()) alive.add(p.id)
      for (const i of await trx.selectFrom('identities').select('value').where('kind', '=', 'profile').where('value', 'in', part).execute()) alive.add(i.value)
    }
    const rawIds = [...rows.values()].flatMap((r) => (r.raw_id === null ? [] : [Number(r.raw_id)]))
    const rawLeft = new Set<number>()
    for (const part of chunks(rawIds, MAX_IN_LIST)) for (const r of await trx.selectFrom('raw_records').select('id').where('id', 'in', part).execute()) rawLeft.add(Number(r.id))
    const gone: number[] = []
    for (const [id, r] of rows) {
      const keptFor = [r.survivor_id, r.absorbed_id].some((p) => p !== null && alive.has(p))
      if (!keptFor) {
        gone.push(id)
        continue
      }
      const cleared = {
        survivor_id: r.survivor_id !== null && ids.has(r.survivor_id) ? null : r.survivor_id,
        absorbed_id: r.absorbed_id !== null && ids.has(r.absorbed_id) ? null : r.absorbed_id,
        identifier: r.identifier !== null && theirs.has(r.identifier) ? null : r.identifier,
        raw_id: r.raw_id !== null && rawLeft.has(Number(r.raw_id)) ? r.raw_id : null,
        detail: r.detail === null ? null : JSON.stringify(clearStrings(JSON.parse(r.detail) as unknown, theirs)),
      }
      await trx.updateTable('merges').set(cleared).where('id', '=', id).execute()
      add(counts, 'merges_cleared', 1)
    }
    for (const part of chunks(gone, MAX_IN_LIST)) add(counts, 'merges', (await trx.deleteFrom('merges').where('id', 'in', part).executeTakeFirst()).numDeletedRows)
  }

  async function eraseOnce(plan: ErasePlan, now: number): Promise<ErasureResult> {
    return await db.transaction().execute(async (trx) => {
      // As ingest does: a concurrent batch naming these identifiers waits until the person is gone.
      await dialect.lockIdentifiers(trx, plan.lockKeys)
      const counts: Record<string, number> = {}
      const ids = plan.profileIds
      const rows = await loadPersonRows(trx, { profileId: plan.profileId, emails: plan.emails, cookies: plan.cookies, userIds: plan.userIds })
      // Rows written since the chunks ran: the footprint as it stands inside the lock.
      add(counts, 'raw_records', await deleteRawIn(trx, plan.footprint(rows)))
      const segmentIds: string[] = []
      if (ids.length > 0) {
        const memberships = await trx.selectFrom('segment_memberships').select('segment_id').where('profile_id', 'in', ids).orderBy('segment_id').execute()
        for (const m of memberships) segmentIds.push(m.segment_id)
        add(counts, 'segment_memberships', (await trx.deleteFrom('segment_memberships').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        await dialect.addMembers(
          trx,
          'segments',
          segmentIds.map((id) => [id, -1] as const),
        )
        // The person's change rows are their pending webhook payloads and stream history: gone,
        // then one "left" entry per segment they were in, with no identifier but the profile id.
        add(counts, 'segment_changes', (await trx.deleteFrom('segment_changes').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        if (segmentIds.length > 0 && plan.profileId) {
          await trx
            .insertInto('segment_changes')
            .values(segmentIds.map((segment_id) => ({ segment_id, profile_id: plan.profileId as string, change: 'left' as const, reason: 'erased', at: now })))
            .execute()
        }
        add(counts, 'segment_schedule', (await trx.deleteFrom('segment_schedule').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        const cohorts = await trx
          .selectFrom('cohort_memberships')
          .select(['cohort_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('profile_id', 'in', ids)
          .groupBy('cohort_id')
          .orderBy('cohort_id')
          .execute()
        add(counts, 'cohort_memberships', (await trx.deleteFrom('cohort_memberships').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        for (const c of cohorts) {
          await trx
            .updateTable('cohorts')
            .set({ members: sql`members - ${Number(c.n)}` })
            .where('id', '=', c.cohort_id)
            .execute()
        }
        add(counts, 'profile_interests', (await trx.deleteFrom('profile_interests').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        add(counts, 'events', (await trx.deleteFrom('events').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        add(counts, 'consent_changes', (await trx.deleteFrom('consent_changes').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        add(counts, 'identities', (await trx.deleteFrom('identities').where('profile_id', 'in', ids).executeTakeFirst()).numDeletedRows)
        add(counts, 'profiles', (await trx.deleteFrom('profiles').where('id', 'in', ids).executeTakeFirst()).numDeletedRows)
      }
      // Identifiers no profile holds any more (or never did) go too, wherever they are keyed.
      const identityKeys = [
        ...plan.emails.map((value) => ({ kind: 'email' as const, value })),
        ...plan.cookies.map((value) => ({ kind: 'cookie' as const, value })),
        ...plan.userIds.map((value) => ({ kind: 'user' as const, value })),
      ]
      for (const part of chunks(identityKeys, 500)) {
        // Only rows left pointing at no profile: a shared cookie another person holds stays theirs.
        const deleted = await trx
          .deleteFrom('identities')
          .where((eb) => eb.or(part.map((k) => eb.and([eb('kind', '=', k.kind), eb('value', '=', k.value)]))))
          .where((eb) => eb.not(eb.exists(eb.selectFrom('profiles').select('profiles.id').whereRef('profiles.id', '=', 'identities.profile_id'))))
          .executeTakeFirst()
        add(counts, 'identities', deleted.numDeletedRows)
      }
      for (const part of chunks(plan.emails, MAX_IN_LIST)) {
        // Logins and refused links of the person's emails; other people's on a shared cookie stay theirs.
        add(counts, 'logins', (await trx.deleteFrom('logins').where('email', 'in', part).executeTakeFirst()).numDeletedRows)
        add(counts, 'refused_links', (await trx.deleteFrom('refused_links').where('email', 'in', part).executeTakeFirst()).numDeletedRows)
      }
      for (const part of chunks(plan.ownCookies, MAX_IN_LIST)) {
        // A cookie that was theirs: a link refused to it (an unmerge that split them off someone
        // else) names it, so it goes too.
        add(counts, 'refused_links', (await trx.deleteFrom('refused_links').where('cookie', 'in', part).executeTakeFirst()).numDeletedRows)
      }
      // Likely matches: the IP addresses and user agents seen with any of the person's cookies (their links go with them).
      const sightingCookies = new Set([...plan.cookies, ...rows.identities.filter((i) => i.kind === 'cookie').map((i) => i.value)])
      add(counts, 'device_sightings', await deleteDeviceSightings(trx, [...sightingCookies]))
      // Last: the person's logins are gone, so a cookie someone else still logs in on reads as theirs.
      await clearMergeHistory(trx, plan, counts)
      return { counts, segmentIds }
    })
  }

  return {
    async salt(generate) {
      const found = await db.selectFrom('settings').select('value').where('name', '=', SALT_SETTING).executeTakeFirst()
      if (found) return found.value
      await db.insertInto('settings').values({ name: SALT_SETTING, value: generate() }).onConflict((oc) => oc.column('name').doNothing()).execute()
      const stored = await db.selectFrom('settings').select('value').where('name', '=', SALT_SETTING).executeTakeFirstOrThrow()
      return stored.value
    },

    async resolveProfile({ kind, value }) {
      if (kind === 'profile_id') {
        const live = await reader.selectFrom('profiles').select('id').where('id', '=', value).executeTakeFirst()
        if (live) return live.id
      }
      const identityKind = kind === 'profile_id' ? 'profile' : kind === 'user_id' ? 'user' : kind
      const row = await reader.selectFrom('identities').select('profile_id').where('kind', '=', identityKind).where('value', '=', value).executeTakeFirst()
      return row?.profile_id ?? null
    },

    loadPersonRows: (person) => loadPersonRows(reader, person),

    async personEvents(profileId) {
      const rows = await reader.selectFrom('events').select(['id', 'raw_id']).where('profile_id', '=', profileId).execute()
      return rows.map((r) => ({ id: Number(r.id), rawId: r.raw_id === null ? null : Number(r.raw_id) })).sort((a, b) => a.id - b.id)
    },

    async deleteEvents(events) {
      if (events.length === 0) return { events: 0, rawRecords: 0 }
      return await db.transaction().execute(async (trx) => {
        let deleted = 0
        for (const part of chunks(events, MAX_IN_LIST)) {
          const ids = part.map((e) => e.id)
          deleted += Number((await trx.deleteFrom('events').where('id', 'in', ids).executeTakeFirst()).numDeletedRows)
        }
        const rawIds = events.flatMap((e) => (e.rawId === null ? [] : [e.rawId]))
        return { events: deleted, rawRecords: await deleteRawIn(trx, rawIds) }
      })
    },

    async deleteRawRecords(ids, chunk) {
      let n = 0
      for (const part of chunks(ids, chunk)) n += await db.transaction().execute((trx) => deleteRawIn(trx, part))
      return n
    },

    async erasePerson(plan: ErasePlan, now: number) {
      // The counters (segments, cohorts) are rows ingest updates too: a deadlock or serialization
      // failure against a concurrent batch on PostgreSQL runs the transaction again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await eraseOnce(plan, now)
        } catch (error) {
          if (attempt >= MAX_ATTEMPTS || !dialect.isRetryable(error)) throw error
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt))
        }
      }
    },

    async scrubErased(tables) {
      const known = new Set<string>(Object.keys(COLUMN_TYPES))
      // merges_cleared counts rows of merges; the job's identifiers were deleted as it ended.
      const names = new Set([...tables.map((t) => (t === 'merges_cleared' ? 'merges' : t)), 'privacy_job_identifiers'])
      await dialect.scrubDeleted(db, [...names].filter((t): t is keyof Database => known.has(t)).sort())
    },

    async createJob(job, identifiers) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('privacy_jobs')
          .values({
            id: job.id,
            kind: 'erasure',
            status: job.status,
            requested_by: job.requestedBy,
            requested_at: job.requestedAt,
            identifiers_hash: job.identifiersHash,
            identifier_count: job.identifierCount,
            suppress: job.suppress ? 1 : 0,
            counts: JSON.stringify(job.counts),
            error: job.error,
            finished_at: job.finishedAt,
          })
          .execute()
        const unique = new Map(identifiers.map((i) => [`${i.kind}:${i.value}`, i]))
        for (const part of chunks([...unique.values()], 1000)) {
          await trx
            .insertInto('privacy_job_identifiers')
            .values(part.map((i) => ({ job_id: job.id, kind: i.kind, value: i.value })))
            .execute()
        }
      })
    },

    async pendingIdentifiers(jobId) {
      const rows = await db.selectFrom('privacy_job_identifiers').select(['kind', 'value']).where('job_id', '=', jobId).orderBy('kind').orderBy('value').execute()
      return rows.map((r) => ({ kind: r.kind as ErasureTarget['kind'], value: r.value }) as ErasureTarget)
    },

    async rawRecordsCarrying(value) {
      const rows = await reader
        .selectFrom('raw_records')
        .select(['id', 'status', 'cookie', 'email', 'observed_at', 'payload'])
        .where((eb) =>
          eb.or([
            eb('cookie', '=', value),
            eb('email', '=', value),
            // As the payload spells the value inside a JSON string.
            dialect.contains(sql.ref('payload'), dialect.param(JSON.stringify(value).slice(1, -1), 'text')) as RawBuilder<SqlBool>,
          ]),
        )
        .orderBy('id')
        .execute()
      return rows.map((r) => ({
        id: Number(r.id),
        status: r.status,
        cookie: r.cookie,
        email: r.email,
        observedAt: r.observed_at === null ? null : Number(r.observed_at),
        payload: r.payload,
      }))
    },

    async updateJob(job) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('privacy_jobs')
          .set({ status: job.status, counts: JSON.stringify(job.counts), error: job.error, finished_at: job.finishedAt })
          .where('id', '=', job.id)
          .execute()
        if (job.status !== 'running') await trx.deleteFrom('privacy_job_identifiers').where('job_id', '=', job.id).execute()
      })
    },

    async findJob(id) {
      const row = await db.selectFrom('privacy_jobs').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? jobFromRow(row) : undefined
    },

    async listJobs(limit) {
      const rows = await db.selectFrom('privacy_jobs').selectAll().orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
      return rows.map(jobFromRow)
    },

    async runningJobIds() {
      const rows = await db.selectFrom('privacy_jobs').select('id').where('status', '=', 'running').orderBy('requested_at').execute()
      return rows.map((r) => r.id)
    },

    async suppressionHashes() {
      const rows = await db.selectFrom('suppressions').select('hash').execute()
      return rows.map((r) => r.hash)
    },

    async addSuppressions(rows, jobId, now) {
      if (rows.length === 0) return 0
      let n = 0
      await db.transaction().execute(async (trx) => {
        for (const part of chunks([...new Map(rows.map((r) => [r.hash, r])).values()], 1000)) {
          const result = await trx
            .insertInto('suppressions')
            .values(part.map((r) => ({ hash: r.hash, kind: r.kind, created_at: now, job_id: jobId })))
            .onConflict((oc) => oc.column('hash').doNothing())
            .executeTakeFirst()
          n += Number(result.numInsertedOrUpdatedRows ?? 0)
        }
      })
      return n
    },

    async removeSuppressions(hashes) {
      let n = 0
      for (const part of chunks(hashes, MAX_IN_LIST)) n += Number((await db.deleteFrom('suppressions').where('hash', 'in', part).executeTakeFirst()).numDeletedRows)
      return n
    },

    async exportProfile(profileId) {
      const row = await reader.selectFrom('profiles').selectAll().where('id', '=', profileId).executeTakeFirst()
      if (!row) return undefined
      const { traits, field_times: _times, consent, ...fields } = row
      return { ...fields, traits: parseJson(traits), consent: parseJson(consent) }
    },

    async exportSection(section, profileIds) {
      if (profileIds.length === 0) return []
      const ids = [...profileIds]
      switch (section) {
        case 'device_sightings':
          return await exportDeviceSightings(reader, ids)
        case 'interests':
          return await reader.selectFrom('profile_interests').select(['interest', 'first_seen', 'last_seen', 'source']).where('profile_id', 'in', ids).orderBy('interest').execute()
        case 'cohorts':
          return await reader
            .selectFrom('cohort_memberships')
            .innerJoin('cohorts', 'cohorts.id', 'cohort_memberships.cohort_id')
            .select(['cohort_memberships.cohort_id', 'cohorts.name', 'cohort_memberships.score', 'cohort_memberships.reason', 'cohort_memberships.assigned_at'])
            .where('cohort_memberships.profile_id', 'in', ids)
            .orderBy('cohorts.name')
            .execute()
        case 'segments':
          return await reader
            .selectFrom('segment_memberships')
            .innerJoin('segments', 'segments.id', 'segment_memberships.segment_id')
            .select(['segments.id', 'segments.name', 'segment_memberships.entered_at'])
            .where('segment_memberships.profile_id', 'in', ids)
            .orderBy('segments.name')
            .execute()
        case 'consent': {
          const rows = await reader.selectFrom('consent_changes').select(['purpose', 'granted', 'at', 'source', 'raw_id']).where('profile_id', 'in', ids).orderBy('at').orderBy('id').execute()
          return rows.map((r) => ({ ...r, granted: Number(r.granted) === 1 }))
        }
        case 'merges': {
          const rows = await reader
            .selectFrom('merges')
            .selectAll()
            .where((eb) => eb.or([eb('survivor_id', 'in', ids), eb('absorbed_id', 'in', ids)]))
            .orderBy('id')
            .execute()
          return rows.map((r) => ({ ...r, detail: parseJson(r.detail) }))
        }
      }
    },

    async exportEvents(ids) {
      const out: Array<Record<string, unknown>> = []
      for (const part of chunks(ids, MAX_IN_LIST)) {
        const rows = await reader.selectFrom('events').selectAll().where('id', 'in', part).orderBy('id').execute()
        for (const r of rows) out.push({ ...r, id: Number(r.id), properties: parseJson(r.properties), context: parseJson(r.context) })
      }
      return out
    },

    async exportRawRecords(ids) {
      const out: ExportedRawRecord[] = []
      for (const part of chunks(ids, MAX_IN_LIST)) {
        const rows = await reader
          .selectFrom('raw_records')
          .select(['id', 'received_at', 'source', 'content_type', 'status', 'errors', 'payload'])
          .where('id', 'in', part)
          .orderBy('id')
          .execute()
        for (const r of rows) {
          out.push({ fields: { id: Number(r.id), received_at: Number(r.received_at), source: r.source, content_type: r.content_type, status: r.status, errors: parseJson(r.errors) }, payload: r.payload })
        }
      }
      return out
    },

    async purgeSightingsOlder(before) {
      // One statement: the table is only filled while likely matches are on, and holds a row per
      // cookie, address and 5-minute slot (no index by time: a pass reads it once a purge).
      const result = await db.deleteFrom('device_sightings').where('at', '<', before).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async purgeOlder(table, before, limit, afterId) {
      return await db.transaction().execute(async (trx) => {
        // The next rows by id (the primary key) from the pass's cursor: received_at grows with id, so
        // a pass stops at the first row received after the cutoff instead of scanning the table.
        const rows =
          table === 'raw_records'
            ? await trx.selectFrom('raw_records').select(['id', 'received_at as t', 'received_at']).where('id', '>', afterId).orderBy('id').limit(limit).execute()
            : await trx.selectFrom('events').select(['id', 'at as t', 'received_at']).where('id', '>', afterId).orderBy('id').limit(limit).execute()
        const old = rows.filter((r) => Number(r.t) < before).map((r) => Number(r.id))
        if (old.length > 0) await trx.deleteFrom(table).where('id', 'in', old).execute()
        const last = rows.at(-1)
        const more = rows.length === limit && last !== undefined && Number(last.received_at) < before
        return { deleted: old.length, lastId: last ? Number(last.id) : afterId, more }
      })
    },
  }
}
