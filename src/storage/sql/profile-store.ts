// Profiles: the rows an ingest transaction loads and writes for identity resolution, and the reads
// behind the user routes and the walks over every profile.
import { apiIdentityKind } from '../../domain/identity.ts'
import type { InterestSeen, Login, ProfileState } from '../../domain/profile.ts'
import type { MergeLogEntry, StoredMergeEntry } from '../../domain/identity.ts'
import { type Selectable, sql } from 'kysely'
import type { MergesTable, ProfilesTable } from './schema.ts'
import { fieldColumns } from '../../domain/profile-fields.ts'
import type { ProfileReader } from '../ports/profiles.ts'
import type { Row, SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { SqlDatabase } from './open.ts'
import { precompile } from './precompile.ts'
import { profileFromRow, profileToRow } from './rows.ts'

/** What a profile write updates: its fields' columns (derived ones included) and the profile's own. */
const PROFILE_UPDATE_COLUMNS = ['email', ...fieldColumns(), 'traits', 'field_times', 'consent', 'first_seen', 'last_seen', 'updated_at']

const PROFILE_UPDATE_COLUMNS_BUT_EMAIL = PROFILE_UPDATE_COLUMNS.filter((c) => c !== 'email')

export type InterestRow = { profile_id: string; interest: string; first_seen: number; last_seen: number; source: string }

/** Profile rows inside an ingest transaction, with their interests and the logins of their cookies. */
export function createProfileRows(trx: Trx, dialect: SqlDialect) {
  async function loadInterests(profileIds: string[]): Promise<Map<string, Map<string, InterestSeen>>> {
    const byProfile = new Map<string, Map<string, InterestSeen>>()
    for (const id of profileIds) byProfile.set(id, new Map())
    for (const part of chunks(profileIds, MAX_IN_LIST)) {
      const rows = await trx
        .selectFrom('profile_interests')
        .select(['profile_id', 'interest', 'first_seen', 'last_seen', 'source'])
        .where('profile_id', 'in', part)
        .execute()
      for (const row of rows) {
        byProfile.get(row.profile_id)?.set(row.interest, {
          firstSeen: Number(row.first_seen),
          lastSeen: Number(row.last_seen),
          source: row.source,
        })
      }
    }
    return byProfile
  }

  async function loadProfiles(ids: string[]): Promise<Map<string, ProfileState>> {
    const profiles = new Map<string, ProfileState>()
    if (ids.length === 0) return profiles
    const sorted = [...new Set(ids)].sort()
    const interests = await loadInterests(sorted)
    for (const part of chunks(sorted, MAX_IN_LIST)) {
      // Row locks in id order: a concurrent batch touching the same person waits, never deadlocks.
      const query = dialect.lockRows(trx.selectFrom('profiles').selectAll().where('id', 'in', part).orderBy('id'))
      for (const row of await query.execute()) {
        profiles.set(row.id, profileFromRow(row, interests.get(row.id) ?? new Map()))
      }
    }
    return profiles
  }

  async function loadLogins(cookies: string[]): Promise<Map<string, Login[]>> {
    const logins = new Map<string, Login[]>()
    for (const part of chunks(cookies, MAX_IN_LIST)) {
      const rows = await trx.selectFrom('logins').select(['cookie', 'email', 'observed_at']).where('cookie', 'in', part).execute()
      for (const row of rows) {
        const list = logins.get(row.cookie) ?? []
        list.push({ email: row.email, at: Number(row.observed_at) })
        logins.set(row.cookie, list)
      }
    }
    return logins
  }

  /** `loaded`: the profiles as read in this transaction; one whose email stays is written without it. */
  async function writeProfiles(profiles: ProfileState[], now: number, loaded?: ReadonlyMap<string, ProfileState>): Promise<void> {
    // Setting email, even to the value it has, rewrites the profile's entry in the email index.
    const keepsEmail = (p: ProfileState) => loaded !== undefined && loaded.has(p.id) && loaded.get(p.id)?.email === p.email
    const rows = (list: ProfileState[]) => list.map((p) => profileToRow(p, now) as unknown as Row)
    await dialect.upsertMany(trx, 'profiles', rows(profiles.filter((p) => !keepsEmail(p))), { conflict: ['id'], update: PROFILE_UPDATE_COLUMNS })
    await dialect.upsertMany(trx, 'profiles', rows(profiles.filter(keepsEmail)), { conflict: ['id'], update: PROFILE_UPDATE_COLUMNS_BUT_EMAIL })
  }

  async function writeInterests(rows: InterestRow[]): Promise<void> {
    await dialect.upsertMany(trx, 'profile_interests', rows, { conflict: ['profile_id', 'interest'], update: ['first_seen', 'last_seen', 'source'] })
  }

  return { loadProfiles, loadLogins, writeProfiles, writeInterests }
}

export type ProfileRows = ReturnType<typeof createProfileRows>

type MergeRow = Selectable<MergesTable> & { source: string | null; received_at: number | string | null }

export function mergeFromRow(r: MergeRow): StoredMergeEntry {
  return {
    id: Number(r.id),
    survivorId: r.survivor_id,
    absorbedId: r.absorbed_id,
    reason: r.reason as MergeLogEntry['reason'],
    identifierKind: r.identifier_kind as MergeLogEntry['identifierKind'],
    identifier: r.identifier,
    rawId: r.raw_id === null ? null : Number(r.raw_id),
    ...(r.detail ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
    createdAt: Number(r.created_at),
    raw: r.raw_id !== null && r.source !== null ? { id: Number(r.raw_id), source: r.source, receivedAt: Number(r.received_at) } : null,
  }
}

export function createProfileReader(database: SqlDatabase): ProfileReader {
  const { reader, dialect } = database
  // The point reads behind GET /api/user, built and compiled once.
  const reads = {
    liveProfile: precompile(database, (p) => reader.selectFrom('profiles').select('id').where('id', '=', p('id'))),
    identity: precompile(database, (p) =>
      reader
        .selectFrom('identities')
        .select('profile_id')
        .where('kind', '=', p('kind') as 'cookie')
        .where('value', '=', p('value')),
    ),
    profile: precompile(database, (p) => reader.selectFrom('profiles').selectAll().where('id', '=', p('id'))),
    interests: precompile(database, (p) =>
      reader
        .selectFrom('profile_interests')
        .select(['interest', 'first_seen', 'last_seen', 'source'])
        .where('profile_id', '=', p('id'))
        .orderBy('first_seen')
        .orderBy('interest'),
    ),
    // Cookies and linked identifiers (user_id, phone, …) in one read over the profile_id index;
    // emails are the profile's own column, absorbed ids are aliases.
    cookies: precompile(database, (p) =>
      reader
        .selectFrom('identities')
        .select(['kind', 'value', 'last_seen'])
        .where('profile_id', '=', p('id'))
        .where(dialect.unindexed('kind'), 'not in', ['email', 'profile'])
        .orderBy('last_seen', 'desc')
        .orderBy('value'),
    ),
    memberships: precompile(database, (p) =>
      reader
        .selectFrom('cohort_memberships')
        .innerJoin('cohorts', 'cohorts.id', 'cohort_memberships.cohort_id')
        .select(['cohort_memberships.cohort_id', 'cohorts.name', 'score', 'assigned_at', 'reason'])
        .where('profile_id', '=', p('id'))
        .orderBy('score', 'desc')
        .orderBy('cohorts.name'),
    ),
  }

  type InterestRead = { interest: string; first_seen: number; last_seen: number; source: string }
  type CookieRead = { kind: string; value: string; last_seen: number }
  type MembershipRead = { cohort_id: string; name: string; score: number; assigned_at: number; reason: string }
  type ViewRead = ProfilesTable & { view_interests: InterestRead[]; view_cookies: CookieRead[]; view_memberships: MembershipRead[] }
  // The same four reads as one statement (dialect.readsCombined), each list aggregated in the order
  // its own read above gives.
  const wholeView = dialect.readsCombined
    ? precompile(database, (p) => ({
        compile: () =>
          sql<ViewRead>`select p.*,
            (select coalesce(json_agg(json_build_object('interest', i.interest, 'first_seen', i.first_seen, 'last_seen', i.last_seen, 'source', i.source)
              order by i.first_seen, i.interest), '[]'::json) from profile_interests i where i.profile_id = p.id) as view_interests,
            (select coalesce(json_agg(json_build_object('kind', c.kind, 'value', c.value, 'last_seen', c.last_seen) order by c.last_seen desc, c.value), '[]'::json)
              from identities c where c.profile_id = p.id and c.kind not in ('email', 'profile')) as view_cookies,
            (select coalesce(json_agg(json_build_object('cohort_id', m.cohort_id, 'name', h.name, 'score', m.score, 'assigned_at', m.assigned_at, 'reason', m.reason)
              order by m.score desc, h.name), '[]'::json) from cohort_memberships m join cohorts h on h.id = m.cohort_id where m.profile_id = p.id) as view_memberships
            from profiles p where p.id = ${p('id')}`.compile(reader),
      }))
    : undefined

  async function readView(profileId: string): Promise<{ row: ProfilesTable; interestRows: InterestRead[]; cookieRows: CookieRead[]; membershipRows: MembershipRead[] } | undefined> {
    if (wholeView) {
      const [row] = await wholeView({ id: profileId })
      return row ? { row, interestRows: row.view_interests, cookieRows: row.view_cookies, membershipRows: row.view_memberships } : undefined
    }
    const [row] = await reads.profile({ id: profileId })
    if (!row) return undefined
    const interestRows = await reads.interests({ id: profileId })
    const cookieRows = await reads.cookies({ id: profileId })
    const membershipRows = await reads.memberships({ id: profileId })
    return { row, interestRows, cookieRows, membershipRows }
  }

  return {
    async findProfileId(kind, value) {
      if (kind === 'profile_id') {
        const live = await reads.liveProfile({ id: value })
        if (live[0]) return live[0].id
      }
      const row = await reads.identity({ kind: kind === 'profile_id' ? 'profile' : kind === 'user_id' ? 'user' : kind, value })
      return row[0]?.profile_id
    },

    async loadProfileView(profileId) {
      const read = await readView(profileId)
      if (!read) return undefined
      const { row, interestRows, cookieRows, membershipRows } = read
      const interests = new Map<string, InterestSeen>()
      for (const r of interestRows) {
        interests.set(r.interest, { firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), source: r.source })
      }
      return {
        profile: profileFromRow(row, interests),
        cookies: cookieRows.filter((r) => r.kind === 'cookie').map((r) => ({ cookie: r.value, lastSeen: Number(r.last_seen) })),
        identifiers: cookieRows.filter((r) => r.kind !== 'cookie').map((r) => ({ kind: apiIdentityKind(r.kind), value: r.value, lastSeen: Number(r.last_seen) })),
        memberships: membershipRows.map((m) => ({
          cohortId: m.cohort_id,
          name: m.name,
          score: Number(m.score),
          assignedAt: Number(m.assigned_at),
          reason: m.reason,
        })),
      }
    },

    async listProfileIds({ afterId, limit }) {
      let query = reader.selectFrom('profiles').select('id').orderBy('id').limit(limit)
      if (afterId !== undefined) query = query.where('id', '>', afterId)
      return (await query.execute()).map((r) => r.id)
    },

    async listMerges(profileId) {
      const absorbed = await reader.selectFrom('identities').select('value').where('profile_id', '=', profileId).where('kind', '=', 'profile').execute()
      const ids = [profileId, ...absorbed.map((r) => r.value)]
      const rows: MergeRow[] = []
      for (const part of chunks(ids, MAX_IN_LIST)) {
        const found = await reader
          .selectFrom('merges')
          .leftJoin('raw_records', 'raw_records.id', 'merges.raw_id')
          .selectAll('merges')
          .select(['raw_records.source', 'raw_records.received_at'])
          .where((eb) => eb.or([eb('survivor_id', 'in', part), eb('absorbed_id', 'in', part)]))
          .execute()
        rows.push(...found)
      }
      const byId = new Map(rows.map((r) => [Number(r.id), r]))
      return [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id)).map(mergeFromRow)
    },

    async countProfiles() {
      const row = await reader.selectFrom('profiles').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
