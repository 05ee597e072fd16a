// Opens the configured database: embedded SQLite (WAL) by default, PostgreSQL when DATABASE_URL is set.
import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import type { Config, SqlitePragma } from '../../config.ts'
import { type Dialect, migrate } from './migrations.ts'
import type { Database } from './schema.ts'

// BIGINT (int8) columns hold epoch milliseconds and counters, all well inside 2^53.
pg.types.setTypeParser(20, (value) => Number(value))

export interface SqlDatabase {
  dialect: Dialect
  /** Writes and transactions. */
  db: Kysely<Database>
  /**
   * Reads that must not wait behind a write transaction. On SQLite this is a second connection
   * (WAL lets it read while the writer holds its transaction); on PostgreSQL it is the same pool.
   */
  reader: Kysely<Database>
  /**
   * The SQLite writer connection itself, for the ingest hot path: cached prepared statements run
   * row by row cost ~2 µs a row, where building and preparing a multi-row statement through Kysely
   * cost more than the write. It is the connection Kysely's transactions run on, so its statements
   * take part in them.
   */
  sqlite?: BetterSqlite3.Database
  close(): Promise<void>
}

/** Settings that only the writing connection can make (the reader opens the file read-only). */
const WRITER_ONLY_PRAGMAS = new Set(['journal_mode', 'page_size', 'synchronous', 'wal_autocheckpoint', 'auto_vacuum'])

/**
 * Opens one connection with our defaults, overridden by the operator's CDP_SQLITE_PRAGMAS. Theirs go
 * first because page_size (and auto_vacuum) only take effect before the file's first write, which
 * switching to WAL is.
 */
function openSqliteFile(file: string, readonly: boolean, extra: readonly SqlitePragma[] = []): BetterSqlite3.Database {
  const database = new BetterSqlite3(file, { readonly })
  const own = extra.filter((p) => !readonly || !WRITER_ONLY_PRAGMAS.has(p.name))
  for (const p of own) database.pragma(`${p.name} = ${p.value}`)
  const defaults: Array<[string, string]> = [
    ['busy_timeout', '5000'],
    ['cache_size', '-65536'], // 64 MB page cache
    ['temp_store', 'MEMORY'],
  ]
  if (!readonly) {
    // NORMAL is durable in WAL mode against process crashes; only an OS crash can lose the last commits.
    defaults.unshift(['journal_mode', 'WAL'], ['synchronous', 'NORMAL'])
  }
  for (const [name, value] of defaults) {
    if (!own.some((p) => p.name === name)) database.pragma(`${name} = ${value}`)
  }
  return database
}

/**
 * Kysely's SQLite driver prepares every statement on every execution; preparing cost more than
 * running our point queries (~9% of a GET /api/user). This keeps prepared statements by SQL text.
 * Statements are only ever run to completion (never left iterating), so sharing them is safe.
 */
function withStatementCache(database: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>()
  const prepare = (source: string) => {
    let statement = cache.get(source)
    if (!statement) {
      statement = database.prepare(source)
      // IN lists of varying length make distinct texts; bound the cache instead of tracking use.
      if (cache.size >= 1000) cache.clear()
      cache.set(source, statement)
    }
    return statement
  }
  return new Proxy(database, {
    get(target, property) {
      if (property === 'prepare') return prepare
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export async function openDatabase(config: Pick<Config, 'storage'>, options: { log?: (message: string) => void } = {}): Promise<SqlDatabase> {
  if (config.storage.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.storage.url, max: 10 })
    // An idle connection cut by the server (a PostgreSQL restart, an administrator's terminate, a
    // closing connection caught by a forced DROP DATABASE) is reported on the pool; with no listener
    // Node treats it as uncaught and the process dies. The pool has already dropped that connection
    // and opens another for the next query.
    pool.on('error', (error) => options.log?.(`a pooled PostgreSQL connection was closed by the server: ${error.message}`))
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    await migrate(db as Kysely<unknown>, 'postgres')
    return { dialect: 'postgres', db, reader: db, close: () => db.destroy() }
  }
  const file = config.storage.file
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const writer = openSqliteFile(file, false, config.storage.pragmas)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(writer) }) })
  await migrate(db as Kysely<unknown>, 'sqlite')
  const reader = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(openSqliteFile(file, true, config.storage.pragmas)) }) })
  return {
    dialect: 'sqlite',
    db,
    reader,
    sqlite: writer,
    close: async () => {
      await reader.destroy()
      await db.destroy()
    },
  }
}
