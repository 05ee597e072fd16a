// PostgreSQL's side of the dialect seam: concurrent writers, so locks in a stable order and retries.
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { chunks, MAX_IN_LIST } from '../members.ts'
import { COLUMN_TYPES } from '../schema.ts'
import type { Row, Sql, SqlDialect, TableName, Trx } from './dialect.ts'

/** Unique violation, deadlock, serialization failure: a concurrent batch claimed the same identifier first. */
const RETRYABLE_CODES = new Set(['23505', '40P01', '40001'])

/**
 * Identifiers lock through a fixed set of buckets: a 1,000-record batch would otherwise take 2,000
 * advisory locks and strain PostgreSQL's shared lock table. Two batches that share a bucket but no
 * identifier just wait for each other, which costs a little parallelism and never correctness.
 */
const LOCK_BUCKETS = 1024
/** How long an erasure's VACUUM of one table waits for its lock. */
const VACUUM_LOCK_WAIT_MS = 2_000
const LOCK_NAMESPACE = 0x0cd9 // keeps our advisory locks apart from other applications' (two-int form)

function lockBucket(identifier: string): number {
  return createHash('sha1').update(identifier).digest().readUInt32BE(0) % LOCK_BUCKETS
}

const ROWS_PER_STATEMENT = 10_000

/** One statement for many rows: each column is one array parameter, cast to its type from COLUMN_TYPES. */
async function unnestInsert(
  trx: Trx,
  input: { table: TableName; columns: string[]; rows: readonly Row[]; conflict: readonly string[]; update: readonly string[]; returning?: string[] },
): Promise<Array<Record<string, unknown>>> {
  const { table, columns, rows, conflict, update, returning } = input
  const types: Readonly<Record<string, string>> = COLUMN_TYPES[table]
  const arrays = columns.map((c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(types[c] ?? 'text')}[]`)
  const action =
    update.length === 0 ? sql`do nothing` : sql.raw(`do update set ${update.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`)
  const returningClause = returning ? sql.raw(` returning ${returning.map((c) => `"${c}"`).join(', ')}`) : sql``
  const query = sql<Record<string, unknown>>`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)}) on conflict (${sql.join(conflict.map((c) => sql.ref(c)))}) ${action}${returningClause}`
  return (await query.execute(trx)).rows
}

/** Chained -> with text keys: an array on the way gives NULL rather than an element. */
function jsonAt(document: Sql, path: readonly string[]): Sql {
  return path.reduce<Sql>((value, key) => sql`(${value} -> ${sql`CAST(${key} AS text)`})`, sql`${document}::jsonb`)
}

/** The value as text; #>> '{}' is NULL for SQL NULL (absent) and for JSON null. */
function scalarAt(document: Sql, path: readonly string[]): Sql {
  return sql`(${jsonAt(document, path)} #>> '{}')`
}

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  groupCommit: false,
  readsCombined: true,
  isRetryable(error) {
    const code = (error as { code?: unknown } | null)?.code
    return typeof code === 'string' && RETRYABLE_CODES.has(code)
  },
  isUnreadableValue(error) {
    const code = (error as { code?: unknown } | null)?.code
    return typeof code === 'string' && code.startsWith('22') // class 22: data exception
  },

  async lockIdentifiers(trx, keys) {
    if (keys.length === 0) return
    const buckets = [...new Set(keys.map(lockBucket))].sort((a, b) => a - b)
    // unnest yields the array in order, so every batch takes its locks in one global order.
    await sql`select count(pg_advisory_xact_lock(${LOCK_NAMESPACE}, k)) from unnest(${buckets}::int[]) as t(k)`.execute(trx)
  },
  lockRows: (query) => query.forUpdate(),

  async upsertMany(trx, table, rows, { conflict, update }) {
    const first = rows[0]
    if (!first) return
    const columns = Object.keys(first)
    for (const part of chunks(rows, ROWS_PER_STATEMENT)) await unnestInsert(trx, { table, columns, rows: part, conflict, update })
  },

  async insertReturningIds(trx, rows) {
    const inserted = new Map<string, number>()
    for (const part of chunks(rows, ROWS_PER_STATEMENT)) {
      const result = await unnestInsert(trx, {
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

  async deletePairs(trx, table, pairs) {
    const bySegment = new Map<string, string[]>()
    for (const p of pairs) bySegment.set(p.segmentId, [...(bySegment.get(p.segmentId) ?? []), p.profileId])
    for (const [segmentId, ids] of bySegment) {
      for (const part of chunks(ids, MAX_IN_LIST)) await trx.deleteFrom(table).where('segment_id', '=', segmentId).where('profile_id', 'in', part).execute()
    }
  },

  async addMembers(trx, table, deltas) {
    if (deltas.length === 0) return
    // The CTE takes the row locks in id order; an UPDATE … FROM alone locks in join order. The deltas
    // are summed per id first: UPDATE … FROM applies only one of several rows that match a row.
    const ids = deltas.map(([id]) => id)
    await sql`with locked as (select id from ${sql.table(table)} where id = any(${ids}::text[]) order by id for update),
            d as (select id, sum(delta) as delta from unnest(${ids}::text[], ${deltas.map(([, delta]) => delta)}::int8[]) as u(id, delta) group by id)
            update ${sql.table(table)} as t set members = t.members + d.delta
            from d
            where t.id = d.id and t.id in (select id from locked)`.execute(trx)
  },

  unindexed: (column) => sql.ref<string>(column),

  async optimize(db) {
    await sql`analyze`.execute(db)
  },

  async scrubDeleted(db, tables) {
    // One statement per table on one pooled connection, never inside a transaction. A table whose lock
    // is held (a concurrent ANALYZE or VACUUM, an operator's LOCK) is given up after VACUUM_LOCK_WAIT_MS
    // instead of holding up the erasure queue; the others still run, and the failures are reported.
    const failures: string[] = []
    await db.connection().execute(async (connection) => {
      await sql.raw(`set lock_timeout = ${VACUUM_LOCK_WAIT_MS}`).execute(connection)
      try {
        for (const table of tables) {
          try {
            await sql`vacuum (analyze) ${sql.table(table)}`.execute(connection)
          } catch (error) {
            failures.push(`${table} (${error instanceof Error ? error.message : String(error)})`)
          }
        }
      } finally {
        await sql`reset lock_timeout`.execute(connection)
      }
    })
    if (failures.length > 0) throw new Error(`VACUUM did not run on ${failures.join(', ')}; autovacuum or the next erasure's VACUUM removes their dead tuples`)
  },

  schema: {
    bigint: 'bigint',
    double: 'double precision',
    idType: 'bigserial',
    idColumn: (column) => column.primaryKey(),
    clustered: sql``,
    async dropNotNull(db, table, columns) {
      for (const column of columns) await db.schema.alterTable(table).alterColumn(column, (c) => c.dropNotNull()).execute()
    },
  },

  fold: (value) => sql`translate(${value}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`,
  contains: (haystack, needle) => sql`strpos(${haystack}, ${needle}) > 0`,
  param(value, type) {
    if (type === 'text') return sql`CAST(${value} AS text)`
    return type === 'double' ? sql`CAST(${value} AS double precision)` : sql`CAST(${value} AS bigint)`
  },

  json: {
    present: (document, path) => scalarAt(document, path),
    text: (document, path) => sql`CASE WHEN jsonb_typeof(${jsonAt(document, path)}) = 'string' THEN ${scalarAt(document, path)} END`,
    number: (document, path) =>
      sql`CASE WHEN jsonb_typeof(${jsonAt(document, path)}) = 'number' THEN CAST(${scalarAt(document, path)} AS double precision) END`,
    isBoolean: (document, path, wanted) => sql`${jsonAt(document, path)} = ${wanted ? sql`'true'::jsonb` : sql`'false'::jsonb`}`,
  },
}
