// The Store over Kysely: one implementation for SQLite and PostgreSQL. Hot paths write one
// multi-row statement per table per batch (chunked under each engine's parameter limit).
import { createHash } from 'node:crypto'
import type BetterSqlite3 from 'better-sqlite3'
import { type Selectable, type Transaction, sql } from 'kysely'
import type { InterestSeen, Login, ProfileState } from '../../domain/profile.ts'
import type { FieldIssue } from '../../domain/types.ts'
import { AppError } from '../../errors.ts'
import { chunks, cookieKindRef, MAX_IN_LIST, profileContacts } from './members.ts'
import type { SqlDatabase } from './open.ts'
import { createEventStore, createEventTransaction } from './event-store.ts'
import { precompile } from './precompile.ts'
import { createSegmentStore, createSegmentTransaction } from './segment-store.ts'
import { profileFromRow, profileToRow } from './rows.ts'
import type { Database, RawRecordsTable } from './schema.ts'
import { identityKey, type IdentityRow, type MergeLogEntry, type ResolveState } from '../../domain/identity.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import type { CohortRow, Membership } from '../../domain/cohort.ts'
import type { ApiKeyRow } from '../../domain/api-key.ts'
import type { IngestTransaction } from '../ports/ingest.ts'
import type { Store } from '../ports/store.ts'

// SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535.
const MAX_PARAMS = 30_000
const RETRYABLE_PG_CODES = new Set(['23505', '40P01', '40001'])
const MAX_ATTEMPTS = 8

function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMS / columns))
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && RETRYABLE_PG_CODES.has(code)
}

function isUnreadableValue(dialect: 'sqlite' | 'postgres', error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null
  if (dialect === 'postgres') return typeof e?.code === 'string' && e.code.startsWith('22') // class 22: data exception
  return e?.code === 'SQLITE_ERROR' && typeof e.message === 'string' && /malformed JSON|JSON cannot hold/.test(e.message)
}

/** A 64-bit advisory-lock key per identifier, as a decimal string for PostgreSQL's bigint. */
/**
 * Identifiers lock through a fixed set of buckets: a 1,000-record batch would otherwise take 2,000
 * advisory locks and strain PostgreSQL's shared lock table. Two batches that share a bucket but no
 * identifier just wait for each other, which costs a little parallelism and never correctness.
 */
const LOCK_BUCKETS = 1024
const LOCK_NAMESPACE = 0x0cd9 // keeps our advisory locks apart from other applications' (two-int form)

function lockBucket(identifier: string): number {
  return createHash('sha1').update(identifier).digest().readUInt32BE(0) % LOCK_BUCKETS
}

function rawFromRow(row: Selectable<RawRecordsTable>): StoredRawRecord {
  return {
    id: Number(row.id),
    batchId: row.batch_id,
    receivedAt: Number(row.received_at),
    source: row.source,
    contentType: row.content_type,
    recordIndex: row.record_index,
    payload: row.payload,
    contentHash: row.content_hash,
    status: row.status,
    errors: row.errors === null ? null : (JSON.parse(row.errors) as FieldIssue[]),
    cookie: row.cookie,
    email: row.email,
    observedAt: row.observed_at === null ? null : Number(row.observed_at),
    supersededBy: row.superseded_by === null || row.superseded_by === undefined ? null : Number(row.superseded_by),
  }
}

type Row = Record<string, string | number | null>

/**
 * Inserts rows, or updates `update` columns when `conflict` columns already exist (nothing when
 * `update` is empty). SQLite: one cached prepared statement per row. PostgreSQL: multi-row statements.
 */
const PROFILE_UPDATE_COLUMNS = [
  'email', 'phone', 'phone_raw', 'city', 'state', 'country', 'country_code', 'age', 'gender', 'income', 'income_amount', 'education',
  'traits', 'field_times', 'first_seen', 'last_seen', 'updated_at',
]

const ROWS_PER_SQLITE_STATEMENT = 64

function createBulkWriter(trx: Transaction<Database>, sqlite: BetterSqlite3.Database | undefined) {
  const statements = new Map<string, BetterSqlite3.Statement>()
  return async function upsert(table: keyof Database, rows: Row[], conflict: string[], update: string[]): Promise<number[]> {
    const first = rows[0]
    if (!first) return []
    const columns = Object.keys(first)
    if (sqlite) {
      const key = `${table}|${columns.join(',')}|${conflict.join(',')}|${update.join(',')}`
      let statement = statements.get(key)
      if (!statement) {
        const action = update.length === 0 ? 'do nothing' : `do update set ${update.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`
        statement = sqlite.prepare(
          `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')}) on conflict (${conflict.map((c) => `"${c}"`).join(', ')}) ${action}`,
        )
        statements.set(key, statement)
      }
      if (table === 'raw_records') {
        // The caller needs each row's id (or 0 for a duplicate), which only single-row statements tell.
        const ids: number[] = []
        for (const row of rows) {
          const result = statement.run(columns.map((c) => row[c] ?? null))
          ids.push(result.changes > 0 ? Number(result.lastInsertRowid) : 0)
        }
        return ids
      }
      // Elsewhere, 64 rows per statement: a statement's fixed cost is most of a narrow row's.
      let at = 0
      if (rows.length >= ROWS_PER_SQLITE_STATEMENT) {
        const wideKey = `${key}|x${ROWS_PER_SQLITE_STATEMENT}`
        let wide = statements.get(wideKey)
        if (!wide) {
          const action = update.length === 0 ? 'do nothing' : `do update set ${update.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`
          const tuple = `(${columns.map(() => '?').join(', ')})`
          wide = sqlite.prepare(
            `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array.from({ length: ROWS_PER_SQLITE_STATEMENT }, () => tuple).join(', ')} on conflict (${conflict.map((c) => `"${c}"`).join(', ')}) ${action}`,
          )
          statements.set(wideKey, wide)
        }
        for (; at + ROWS_PER_SQLITE_STATEMENT <= rows.length; at += ROWS_PER_SQLITE_STATEMENT) {
          const values: Array<string | number | null> = []
          for (let i = at; i < at + ROWS_PER_SQLITE_STATEMENT; i++) {
            const row = rows[i] as Row
            for (const c of columns) values.push(row[c] ?? null)
          }
          wide.run(values)
        }
      }
      for (; at < rows.length; at++) {
        const row = rows[at] as Row
        statement.run(columns.map((c) => row[c] ?? null))
      }
      return []
    }
    // PostgreSQL: one statement per chunk, each column sent as one array parameter (unnest), so
    // the statement text and its plan stay the same whatever the batch size.
    for (const part of chunks(rows, 10_000)) {
      await pgUnnestInsert(trx, { table, columns, rows: part, conflict, update })
    }
    return []
  }
}

function pgColumnType(column: string): string {
  if (column === 'age' || column === 'record_index') return 'int4'
  if (column === 'raw_id') return 'int8'
  if (column === 'score' || column === 'income_amount') return 'float8'
  if (/(_at|_seen)$/.test(column) || column === 'members' || column === 'at') return 'int8'
  return 'text'
}

async function pgUnnestInsert(
  trx: Transaction<Database>,
  input: { table: string; columns: string[]; rows: Row[]; conflict: string[]; update: string[]; returning?: string[] },
): Promise<Array<Record<string, unknown>>> {
  const { table, columns, rows, conflict, update, returning } = input
  const arrays = columns.map((c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(pgColumnType(c))}[]`)
  const action =
    update.length === 0 ? sql`do nothing` : sql.raw(`do update set ${update.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`)
  const returningClause = returning ? sql.raw(` returning ${returning.map((c) => `"${c}"`).join(', ')}`) : sql``
  const query = sql<Record<string, unknown>>`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)}) on conflict (${sql.join(conflict.map((c) => sql.ref(c)))}) ${action}${returningClause}`
  return (await query.execute(trx)).rows
}

function createIngestTransaction(trx: Transaction<Database>, dialect: 'sqlite' | 'postgres', sqlite: BetterSqlite3.Database | undefined): IngestTransaction {
  const upsert = createBulkWriter(trx, sqlite)
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
      let query = trx.selectFrom('profiles').selectAll().where('id', 'in', part).orderBy('id')
      // Row locks in id order: a concurrent batch touching the same person waits, never deadlocks.
      if (dialect === 'postgres') query = query.forUpdate()
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

  async function writeProfiles(profiles: ProfileState[], now: number): Promise<void> {
    const rows = profiles.map((p) => profileToRow(p, now) as unknown as Row)
    await upsert('profiles', rows, ['id'], PROFILE_UPDATE_COLUMNS)
  }

  async function writeInterests(
    rows: Array<{ profile_id: string; interest: string; first_seen: number; last_seen: number; source: string }>,
  ): Promise<void> {
    await upsert('profile_interests', rows, ['profile_id', 'interest'], ['first_seen', 'last_seen', 'source'])
  }

  return {
    ...createSegmentTransaction(trx, dialect, upsert, sqlite),
    ...createEventTransaction(trx, upsert),
    async insertRawRecords(rows) {
      const inserted = new Map<string, number>()
      const values = rows.map((r) => ({
        batch_id: r.batchId,
        received_at: r.receivedAt,
        source: r.source,
        content_type: r.contentType,
        record_index: r.recordIndex,
        payload: r.payload,
        content_hash: r.contentHash,
        status: r.status,
        errors: r.errors === null ? null : JSON.stringify(r.errors),
        cookie: r.cookie,
        email: r.email,
        observed_at: r.observedAt,
      }))
      if (sqlite) {
        const ids = await upsert('raw_records', values, ['content_hash'], [])
        ids.forEach((id, i) => {
          if (id > 0) inserted.set(values[i]?.content_hash as string, id)
        })
        return inserted
      }
      for (const part of chunks(values, 10_000)) {
        const result = await pgUnnestInsert(trx, {
          table: 'raw_records',
          columns: Object.keys(part[0] ?? {}),
          rows: part,
          conflict: ['content_hash'],
          update: [],
          returning: ['id', 'content_hash'],
        })
        for (const row of result) inserted.set(String(row.content_hash), Number(row.id))
      }
      return inserted
    },

    async rawBatchIds(contentHashes) {
      const found = new Map<string, string>()
      for (const part of chunks(contentHashes, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').select(['content_hash', 'batch_id']).where('content_hash', 'in', part).execute()
        for (const row of rows) found.set(row.content_hash, row.batch_id)
      }
      return found
    },

    async updateRawOutcomes(rows) {
      for (const row of rows) {
        await trx
          .updateTable('raw_records')
          .set({
            status: row.status,
            errors: row.errors === null ? null : JSON.stringify(row.errors),
            cookie: row.cookie,
            email: row.email,
            observed_at: row.observedAt,
          })
          .where('id', '=', row.id)
          .execute()
      }
    },

    async supersedeRawRecords(rows) {
      for (const row of rows) {
        await trx.updateTable('raw_records').set({ status: 'superseded', superseded_by: row.by }).where('id', '=', row.id).where('status', '=', 'rejected').execute()
      }
    },

    async rawIdsByHash(contentHashes) {
      const found = new Map<string, number>()
      for (const part of chunks(contentHashes, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').select(['content_hash', 'id']).where('content_hash', 'in', part).execute()
        for (const row of rows) found.set(row.content_hash, Number(row.id))
      }
      return found
    },

    async lockIdentifiers(keys) {
      if (dialect !== 'postgres' || keys.length === 0) return
      const buckets = [...new Set(keys.map(lockBucket))].sort((a, b) => a - b)
      // unnest yields the array in order, so every batch takes its locks in one global order.
      await sql`select count(pg_advisory_xact_lock(${LOCK_NAMESPACE}, k)) from unnest(${buckets}::int[]) as t(k)`.execute(trx)
    },

    async loadResolveState({ cookies, emails }) {
      const identities = new Map<string, IdentityRow>()
      const lookups: Array<['cookie' | 'email', string[]]> = [
        ['cookie', cookies],
        ['email', emails],
      ]
      for (const [kind, values] of lookups) {
        for (const part of chunks(values, MAX_IN_LIST)) {
          const rows = await trx
            .selectFrom('identities')
            .selectAll()
            .where('kind', '=', kind)
            .where('value', 'in', part)
            .execute()
          for (const row of rows) {
            identities.set(identityKey(kind, row.value), {
              kind,
              value: row.value,
              profileId: row.profile_id,
              firstSeen: Number(row.first_seen),
              lastSeen: Number(row.last_seen),
            })
          }
        }
      }
      const logins = await loadLogins(cookies)
      // Logins name emails outside the batch; their identities are needed to place anonymous records.
      const extraEmails = new Set<string>()
      for (const list of logins.values()) {
        for (const login of list) if (!identities.has(identityKey('email', login.email))) extraEmails.add(login.email)
      }
      for (const part of chunks([...extraEmails], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('identities').selectAll().where('kind', '=', 'email').where('value', 'in', part).execute()
        for (const row of rows) {
          identities.set(identityKey('email', row.value), {
            kind: 'email',
            value: row.value,
            profileId: row.profile_id,
            firstSeen: Number(row.first_seen),
            lastSeen: Number(row.last_seen),
          })
        }
      }
      const profiles = await loadProfiles([...identities.values()].map((row) => row.profileId))
      const state: ResolveState = { identities, logins, profiles }
      return state
    },

    async saveResolution({ profiles, loaded, absorbed, identities, logins, merges, now }) {
      await writeProfiles([...profiles.values()], now)

      const interestRows: Array<{ profile_id: string; interest: string; first_seen: number; last_seen: number; source: string }> = []
      for (const profile of profiles.values()) {
        const before = loaded.get(profile.id)?.interests
        for (const [interest, seen] of profile.interests) {
          const old = before?.get(interest)
          if (old && old.firstSeen === seen.firstSeen && old.lastSeen === seen.lastSeen && old.source === seen.source) continue
          interestRows.push({ profile_id: profile.id, interest, first_seen: seen.firstSeen, last_seen: seen.lastSeen, source: seen.source })
        }
      }
      await writeInterests(interestRows)

      const absorbedIds = absorbed.map((a) => a.id)
      for (const part of chunks(absorbedIds, MAX_IN_LIST)) {
        await trx.deleteFrom('profile_interests').where('profile_id', 'in', part).execute()
        await trx.deleteFrom('profiles').where('id', 'in', part).execute()
      }
      for (const { id, into } of absorbed) {
        await trx.updateTable('identities').set({ profile_id: into }).where('profile_id', '=', id).execute()
        await trx.updateTable('events').set({ profile_id: into }).where('profile_id', '=', id).execute()
      }

      const identityRows = identities.map((row) => ({
        kind: row.kind,
        value: row.value,
        profile_id: row.profileId,
        first_seen: row.firstSeen,
        last_seen: row.lastSeen,
      }))
      await upsert('identities', identityRows, ['kind', 'value'], ['profile_id', 'first_seen', 'last_seen'])

      const loginRows = logins.map((l) => ({ cookie: l.cookie, email: l.email, observed_at: l.at }))
      await upsert('logins', loginRows, ['cookie', 'observed_at', 'email'], [])

      const mergeRows = merges.map((m) => ({
        survivor_id: m.survivorId,
        absorbed_id: m.absorbedId,
        reason: m.reason,
        identifier_kind: m.identifierKind,
        identifier: m.identifier,
        raw_id: m.rawId,
        created_at: now,
      }))
      for (const part of chunks(mergeRows, rowsPerStatement(7))) {
        await trx.insertInto('merges').values(part).execute()
      }
    },

    async loadPersonEvidence(email) {
      const identity = await trx
        .selectFrom('identities')
        .select('profile_id')
        .where('kind', '=', 'email')
        .where('value', '=', email)
        .executeTakeFirst()
      const profile = identity ? (await loadProfiles([identity.profile_id])).get(identity.profile_id) : undefined
      const cookieRows = await trx.selectFrom('logins').select('cookie').distinct().where('email', '=', email).execute()
      const cookies = cookieRows.map((r) => r.cookie)
      const logins = await loadLogins(cookies)
      const records: StoredRawRecord[] = []
      const withEmail = await trx
        .selectFrom('raw_records')
        .selectAll()
        .where('status', '=', 'accepted')
        .where('email', '=', email)
        .execute()
      for (const row of withEmail) records.push(rawFromRow(row))
      for (const part of chunks(cookies, MAX_IN_LIST)) {
        const anonymous = await trx
          .selectFrom('raw_records')
          .selectAll()
          .where('status', '=', 'accepted')
          .where('email', 'is', null)
          .where('cookie', 'in', part)
          .execute()
        for (const row of anonymous) records.push(rawFromRow(row))
      }
      return { profile, logins, records }
    },

    async replaceProfile(profile) {
      const now = Date.now()
      await writeProfiles([profile], now)
      await trx.deleteFrom('profile_interests').where('profile_id', '=', profile.id).execute()
      await writeInterests(
        [...profile.interests].map(([interest, seen]) => ({
          profile_id: profile.id,
          interest,
          first_seen: seen.firstSeen,
          last_seen: seen.lastSeen,
          source: seen.source,
        })),
      )
    },

    loadProfiles,

    async loadMemberships(profileIds) {
      const byProfile = new Map<string, Membership[]>()
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('cohort_memberships').selectAll().where('profile_id', 'in', part).execute()
        for (const row of rows) {
          const list = byProfile.get(row.profile_id) ?? []
          list.push({ cohortId: row.cohort_id, score: Number(row.score), assignedAt: Number(row.assigned_at), reason: row.reason })
          byProfile.set(row.profile_id, list)
        }
      }
      return byProfile
    },

    async saveMemberships({ upserts, deletes, countDeltas }) {
      const rows = upserts.map((m) => ({
        cohort_id: m.cohortId,
        profile_id: m.profileId,
        score: m.score,
        assigned_at: m.assignedAt,
        reason: m.reason,
      }))
      await upsert('cohort_memberships', rows, ['cohort_id', 'profile_id'], ['score', 'reason'])
      const byCohort = new Map<string, string[]>()
      for (const d of deletes) byCohort.set(d.cohortId, [...(byCohort.get(d.cohortId) ?? []), d.profileId])
      for (const [cohortId, profileIds] of byCohort) {
        for (const part of chunks(profileIds, MAX_IN_LIST)) {
          await trx.deleteFrom('cohort_memberships').where('cohort_id', '=', cohortId).where('profile_id', 'in', part).execute()
        }
      }
      for (const [cohortId, delta] of [...countDeltas].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (delta === 0) continue
        await trx
          .updateTable('cohorts')
          .set((eb) => ({ members: eb('members', '+', delta) }))
          .where('id', '=', cohortId)
          .execute()
      }
    },
  }
}

export function createSqlStore(database: SqlDatabase): Store {
  const { db, reader, dialect } = database
  const cookieKind = cookieKindRef(dialect)
  // The point reads behind GET /api/user, built and compiled once.
  const reads = {
    liveProfile: precompile(reader, (p) => reader.selectFrom('profiles').select('id').where('id', '=', p('id'))),
    identity: precompile(reader, (p) =>
      reader
        .selectFrom('identities')
        .select('profile_id')
        .where('kind', '=', p('kind') as 'cookie')
        .where('value', '=', p('value')),
    ),
    profile: precompile(reader, (p) => reader.selectFrom('profiles').selectAll().where('id', '=', p('id'))),
    interests: precompile(reader, (p) =>
      reader
        .selectFrom('profile_interests')
        .select(['interest', 'first_seen', 'last_seen', 'source'])
        .where('profile_id', '=', p('id'))
        .orderBy('first_seen')
        .orderBy('interest'),
    ),
    cookies: precompile(reader, (p) =>
      reader
        .selectFrom('identities')
        .select(['value', 'last_seen'])
        .where('profile_id', '=', p('id'))
        .where(cookieKind, '=', 'cookie')
        .orderBy('last_seen', 'desc')
        .orderBy('value'),
    ),
    memberships: precompile(reader, (p) =>
      reader
        .selectFrom('cohort_memberships')
        .innerJoin('cohorts', 'cohorts.id', 'cohort_memberships.cohort_id')
        .select(['cohort_memberships.cohort_id', 'cohorts.name', 'score', 'assigned_at', 'reason'])
        .where('profile_id', '=', p('id'))
        .orderBy('score', 'desc')
        .orderBy('cohorts.name'),
    ),
  }

  return {
    ...createSegmentStore(database),
    ...createEventStore(database.reader),
    engine: dialect,
    groupCommit: dialect === 'sqlite',
    isUnreadableValue: (error) => isUnreadableValue(dialect, error),

    async ingestTransaction(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((trx) => work(createIngestTransaction(trx, dialect, database.sqlite)))
        } catch (error) {
          // A unique violation or deadlock means a concurrent batch claimed the same identifier
          // first; running the whole batch again sees its result and merges into it.
          if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt))
        }
      }
    },

    async findProfileId(kind, value) {
      if (kind === 'profile_id') {
        const live = await reads.liveProfile({ id: value })
        if (live[0]) return live[0].id
      }
      const row = await reads.identity({ kind: kind === 'profile_id' ? 'profile' : kind === 'user_id' ? 'user' : kind, value })
      return row[0]?.profile_id
    },

    async loadProfileView(profileId) {
      const [row] = await reads.profile({ id: profileId })
      if (!row) return undefined
      const interestRows = await reads.interests({ id: profileId })
      const cookieRows = await reads.cookies({ id: profileId })
      const membershipRows = await reads.memberships({ id: profileId })
      const interests = new Map<string, InterestSeen>()
      for (const r of interestRows) {
        interests.set(r.interest, { firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), source: r.source })
      }
      return {
        profile: profileFromRow(row, interests),
        cookies: cookieRows.map((r) => ({ cookie: r.value, lastSeen: Number(r.last_seen) })),
        memberships: membershipRows.map((m) => ({
          cohortId: m.cohort_id,
          name: m.name,
          score: Number(m.score),
          assignedAt: Number(m.assigned_at),
          reason: m.reason,
        })),
      }
    },

    async upsertCohorts(cohorts) {
      const now = Date.now()
      for (const cohort of cohorts) {
        await db
          .insertInto('cohorts')
          .values({
            id: cohort.id,
            name: cohort.name,
            name_key: cohort.name.toLowerCase(),
            description: cohort.description,
            terms: JSON.stringify(cohort.terms),
            members: 0,
            created_at: now,
          })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              name_key: eb.ref('excluded.name_key'),
              description: eb.ref('excluded.description'),
              terms: eb.ref('excluded.terms'),
            })),
          )
          .execute()
      }
    },

    async listCohorts() {
      const rows = await reader.selectFrom('cohorts').selectAll().orderBy('name').execute()
      return rows.map(cohortFromRow)
    },

    async findCohort(nameOrId) {
      const key = nameOrId.trim().toLowerCase()
      const row = await reader
        .selectFrom('cohorts')
        .selectAll()
        .where((eb) => eb.or([eb('name_key', '=', key), eb('id', '=', key)]))
        .executeTakeFirst()
      return row ? cohortFromRow(row) : undefined
    },

    async listCohortMembers({ cohortId, limit, offset, afterProfileId }) {
      // Deferred join: page through the membership index first, then fetch only that page's
      // profiles (joining first made PostgreSQL scan every profile).
      let page = reader
        .selectFrom('cohort_memberships')
        .select(['profile_id', 'score', 'assigned_at'])
        .where('cohort_id', '=', cohortId)
        .orderBy('profile_id')
        .limit(limit)
      if (afterProfileId !== undefined) page = page.where('profile_id', '>', afterProfileId)
      else if (offset > 0) page = page.offset(offset)
      const members = await page.execute()
      if (members.length === 0) return []
      const contacts = await profileContacts(reader, dialect, members.map((m) => m.profile_id))
      return members.map((m) => ({
        profileId: m.profile_id,
        cookie: contacts.get(m.profile_id)?.cookie ?? null,
        email: contacts.get(m.profile_id)?.email ?? null,
        score: Number(m.score),
        assignedAt: Number(m.assigned_at),
      }))
    },

    async createCustomCohort({ id, name, description, terms, seeds, now }) {
      const nameKey = name.toLowerCase()
      const taken = await db.selectFrom('cohorts').select('id').where((eb) => eb.or([eb('name_key', '=', nameKey), eb('id', '=', id)])).executeTakeFirst()
      if (taken) throw new AppError('conflict', `a cohort named "${name}" already exists (${taken.id}): choose another name`)
      await db
        .insertInto('cohorts')
        .values({ id, name, name_key: nameKey, description, terms: JSON.stringify(terms), seeds: JSON.stringify(seeds), members: 0, created_at: now })
        .execute()
    },

    async saveCorrection({ text, textKey, cohortIds, now }) {
      await db
        .insertInto('cohort_corrections')
        .values({ text_key: textKey, text, cohort_ids: JSON.stringify(cohortIds), created_at: now })
        .onConflict((oc) => oc.column('text_key').doUpdateSet((eb) => ({ text: eb.ref('excluded.text'), cohort_ids: eb.ref('excluded.cohort_ids'), created_at: eb.ref('excluded.created_at') })))
        .execute()
    },

    async listCorrections() {
      const rows = await reader.selectFrom('cohort_corrections').selectAll().orderBy('text_key').execute()
      return rows.map((r) => ({ text: r.text, textKey: r.text_key, cohortIds: JSON.parse(r.cohort_ids) as string[], createdAt: Number(r.created_at) }))
    },

    async listProfileIds({ afterId, limit }) {
      let query = reader.selectFrom('profiles').select('id').orderBy('id').limit(limit)
      if (afterId !== undefined) query = query.where('id', '>', afterId)
      return (await query.execute()).map((r) => r.id)
    },

    async listRawRecords({ status, limit, afterId, source, ids }) {
      let query = reader.selectFrom('raw_records').selectAll().orderBy('id').limit(limit)
      if (ids) query = query.where('id', 'in', ids.length > 0 ? [...ids] : [-1])
      if (status) query = query.where('status', '=', status)
      if (source) query = query.where('source', '=', source)
      if (afterId !== undefined) query = query.where('id', '>', afterId)
      return (await query.execute()).map(rawFromRow)
    },

    async listMerges(profileId) {
      const rows = await reader
        .selectFrom('merges')
        .selectAll()
        .where((eb) => eb.or([eb('survivor_id', '=', profileId), eb('absorbed_id', '=', profileId)]))
        .orderBy('id')
        .execute()
      return rows.map((r) => ({
        survivorId: r.survivor_id,
        absorbedId: r.absorbed_id,
        reason: r.reason as MergeLogEntry['reason'],
        identifierKind: r.identifier_kind as 'cookie' | 'email',
        identifier: r.identifier,
        rawId: Number(r.raw_id),
        createdAt: Number(r.created_at),
      }))
    },

    async countProfiles() {
      const row = await reader.selectFrom('profiles').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async createApiKey({ id, keyHash, name, scopes, now }) {
      await db.insertInto('api_keys').values({ id, key_hash: keyHash, name, scopes: scopes.join(','), created_at: now, revoked_at: null }).execute()
    },

    async findApiKeyByHash(keyHash) {
      const row = await reader.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst()
      return row ? apiKeyFromRow(row) : undefined
    },

    async countApiKeys() {
      const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async listApiKeys() {
      return (await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(apiKeyFromRow)
    },

    async revokeApiKey(id, now) {
      const result = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async optimize() {
      if (dialect === 'postgres') await sql`analyze`.execute(db)
      else await sql`pragma optimize`.execute(db)
    },

    close: () => database.close(),
  }
}

function cohortFromRow(row: Database['cohorts']): CohortRow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    terms: JSON.parse(row.terms) as string[],
    members: Number(row.members),
    seeds: row.seeds === null ? null : (JSON.parse(row.seeds) as string[]),
  }
}

function apiKeyFromRow(row: Database['api_keys']): ApiKeyRow {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',').filter(Boolean),
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  }
}

