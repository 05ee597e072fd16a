// SQLite's side of the dialect seam: one writer connection, prepared statements run on it directly.
import type BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import type { Row, Sql, SqlDialect } from './dialect.ts'

const ROWS_PER_STATEMENT = 64
/** How long an erasure's WAL checkpoint waits for a reader on an older snapshot (it blocks the event loop meanwhile). */
const CHECKPOINT_WAIT_MS = 200

/** The parser refuses keys with '"' or '\', the characters a quoted SQLite JSON path cannot hold. */
function jsonPath(path: readonly string[]): string {
  return `$${path.map((key) => `."${key}"`).join('')}`
}

function onConflict(conflict: readonly string[], update: readonly string[]): string {
  const action = update.length === 0 ? 'do nothing' : `do update set ${update.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`
  return `on conflict (${conflict.map((c) => `"${c}"`).join(', ')}) ${action}`
}

/**
 * `writer` is the connection Kysely's transactions run on (see SqlDatabase.sqlite), so statements
 * prepared on it take part in them. Prepared statements are kept per row shape for the connection's life.
 */
export function createSqliteDialect(writer: BetterSqlite3.Database): SqlDialect {
  const statements = new Map<string, BetterSqlite3.Statement>()
  function prepared(key: string, source: () => string): BetterSqlite3.Statement {
    let statement = statements.get(key)
    if (!statement) {
      statement = writer.prepare(source())
      statements.set(key, statement)
    }
    return statement
  }
  function insertStatement(table: string, columns: readonly string[], conflict: readonly string[], update: readonly string[], rows = 1) {
    const key = `${table}|${columns.join(',')}|${conflict.join(',')}|${update.join(',')}|x${rows}`
    return prepared(key, () => {
      const tuple = `(${columns.map(() => '?').join(', ')})`
      return `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array.from({ length: rows }, () => tuple).join(', ')} ${onConflict(conflict, update)}`
    })
  }

  return {
    name: 'sqlite',
    groupCommit: true,
    readsCombined: false,
    isRetryable: () => false,
    isUnreadableValue(error) {
      const e = error as { code?: unknown; message?: unknown } | null
      return e?.code === 'SQLITE_ERROR' && typeof e.message === 'string' && /malformed JSON|JSON cannot hold/.test(e.message)
    },
    lockIdentifiers: async () => undefined,
    lockRows: (query) => query,

    async upsertMany(_trx, table, rows, { conflict, update }) {
      const first = rows[0]
      if (!first) return
      const columns = Object.keys(first)
      const single = insertStatement(table, columns, conflict, update)
      // 64 rows per statement: a statement's fixed cost is most of a narrow row's.
      let at = 0
      if (rows.length >= ROWS_PER_STATEMENT) {
        const wide = insertStatement(table, columns, conflict, update, ROWS_PER_STATEMENT)
        for (; at + ROWS_PER_STATEMENT <= rows.length; at += ROWS_PER_STATEMENT) {
          const values: Array<string | number | null> = []
          for (let i = at; i < at + ROWS_PER_STATEMENT; i++) {
            const row = rows[i] as Row
            for (const c of columns) values.push(row[c] ?? null)
          }
          wide.run(values)
        }
      }
      for (; at < rows.length; at++) {
        const row = rows[at] as Row
        single.run(columns.map((c) => row[c] ?? null))
      }
    },

    async insertReturningIds(_trx, rows) {
      const inserted = new Map<string, number>()
      const first = rows[0]
      if (!first) return inserted
      const columns = Object.keys(first)
      // Only single-row statements tell each row's id (a duplicate changes nothing).
      const statement = insertStatement('raw_records', columns, ['content_hash'], [])
      for (const row of rows) {
        const result = statement.run(columns.map((c) => row[c] ?? null))
        if (result.changes > 0) inserted.set(row.content_hash as string, Number(result.lastInsertRowid))
      }
      return inserted
    },

    async deletePairs(_trx, table, pairs) {
      if (pairs.length === 0) return
      const statement = prepared(`delete|${table}`, () => `delete from "${table}" where "segment_id" = ? and "profile_id" = ?`)
      for (const p of pairs) statement.run(p.segmentId, p.profileId)
    },

    async addMembers(_trx, table, deltas) {
      const statement = prepared(`${table}|members`, () => `update "${table}" set "members" = "members" + ? where "id" = ?`)
      for (const [id, delta] of deltas) statement.run(delta, id)
    },

    unindexed: (column) => sql<string>`+${sql.ref(column)}`,

    async optimize(db) {
      // It runs on the writer, which holds the event loop while it works: analysis_limit bounds the
      // rows ANALYZE reads per index (an estimate from a sample, milliseconds however large the table).
      await sql`pragma analysis_limit = 1000`.execute(db)
      await sql`pragma optimize`.execute(db)
    },

    async scrubDeleted(db, tables) {
      // Through Kysely, so it waits for a transaction in progress on the writer instead of running inside it.
      const stat4 = await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'sqlite_stat4'`.execute(db)
      if (Number(stat4.rows[0]?.n ?? 0) > 0) {
        const sampled = new Set((await sql<{ tbl: string }>`select distinct tbl from sqlite_stat4`.execute(db)).rows.map((r) => r.tbl))
        await sql`pragma analysis_limit = 1000`.execute(db)
        for (const table of tables) if (sampled.has(table)) await sql`analyze ${sql.table(table)}`.execute(db)
      }
      // TRUNCATE waits for readers on an older snapshot. Ours never hold one between statements, but
      // another process might (a backup, the sqlite3 shell), and better-sqlite3 waits on the event
      // loop's thread: so it waits CHECKPOINT_WAIT_MS at most, not the connection's busy_timeout.
      const result = await db.connection().execute(async (connection) => {
        const [timeout] = (await sql<{ timeout: number }>`pragma busy_timeout`.execute(connection)).rows
        await sql.raw(`pragma busy_timeout = ${CHECKPOINT_WAIT_MS}`).execute(connection)
        try {
          return (await sql<{ busy: number; log: number; checkpointed: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(connection)).rows[0]
        } finally {
          await sql.raw(`pragma busy_timeout = ${Number(timeout?.timeout ?? 5000)}`).execute(connection)
        }
      })
      if (result && Number(result.busy) !== 0) {
        throw new Error(`the WAL checkpoint did not finish (${result.checkpointed} of ${result.log} pages copied): a reader held an older snapshot; the next erasure's checkpoint completes it`)
      }
    },

    schema: {
      bigint: 'integer',
      double: 'real',
      idType: 'integer',
      idColumn: (column) => column.primaryKey().autoIncrement(),
      clustered: sql`without rowid`,
      async dropNotNull(db, table, columns) {
        // SQLite's documented way to change a constraint: a new table from the edited CREATE
        // statement, the rows copied, the old one dropped and the new one renamed. Reading the
        // statement back (not spelling the columns here) keeps columns later migrations added.
        const [created] = (await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db)).rows
        if (!created) throw new Error(`dropNotNull: no table ${table}`)
        let definition = created.sql
        for (const column of columns) {
          const edited = definition.replace(new RegExp(`("${column}" [a-z]+) not null`, 'i'), '$1')
          if (edited === definition) throw new Error(`dropNotNull: ${table}.${column} is not declared "not null"`)
          definition = edited
        }
        const indexes = (await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = ${table} and sql is not null`.execute(db)).rows
        const sequence = (await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${table}`.execute(db)).rows[0]
        const rebuilt = `${table}_rebuilt`
        await sql.raw(definition.replace(/^create table "?[^"\s(]+"?/i, `create table "${rebuilt}"`)).execute(db)
        await sql.raw(`insert into "${rebuilt}" select * from "${table}"`).execute(db)
        await sql.raw(`drop table "${table}"`).execute(db)
        await sql.raw(`alter table "${rebuilt}" rename to "${table}"`).execute(db)
        for (const index of indexes) await sql.raw(index.sql).execute(db)
        // Ids are never reused, even those of rows deleted before the rebuild.
        if (sequence) await sql`update sqlite_sequence set seq = ${sequence.seq} where name = ${table}`.execute(db)
      },
    },

    fold: (value) => sql`lower(${value})`,
    contains: (haystack, needle) => sql`instr(${haystack}, ${needle}) > 0`,
    param: (value) => sql`${value}`,

    json: {
      // json_extract is NULL for an absent key and for JSON null alike.
      present: (document, path) => sql`json_extract(${document}, ${jsonPath(path)})`,
      text: (document, path) => sql`CASE WHEN json_type(${document}, ${jsonPath(path)}) = 'text' THEN json_extract(${document}, ${jsonPath(path)}) END`,
      number: (document, path) =>
        sql`CASE WHEN json_type(${document}, ${jsonPath(path)}) IN ('integer', 'real') THEN json_extract(${document}, ${jsonPath(path)}) END`,
      isBoolean: (document, path, wanted): Sql => sql`json_type(${document}, ${jsonPath(path)}) = ${wanted ? 'true' : 'false'}`,
    },
  }
}
