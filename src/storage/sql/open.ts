// Opens the configured database: embedded SQLite (WAL) by default, PostgreSQL when DATABASE_URL is set.
import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import {
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely'
import pg from 'pg'
import { migrate } from './migrations.ts'
import type { SqlDialect } from './dialect/dialect.ts'
import { createSqliteDialect } from './dialect/sqlite.ts'
import { postgresDialect } from './dialect/postgres.ts'
import { storageUnavailable } from './faults.ts'
import type { Database } from './schema.ts'
import type { PreparedRead, SyncRead } from './precompile.ts'

// BIGINT (int8) columns hold epoch milliseconds and counters, all well inside 2^53.
pg.types.setTypeParser(20, (value) => Number(value))

/** One `name=value` SQLite setting from the operator (CDP_SQLITE_PRAGMAS). */
export interface SqlitePragma {
  readonly name: string
  readonly value: string
}

/** Where the data lives: what openDatabase needs from the configuration. */
export type StorageTarget =
  | { readonly kind: 'sqlite'; readonly file: string; readonly pragmas?: readonly SqlitePragma[] }
  | { readonly kind: 'postgres'; readonly url: string }

export interface SqlDatabase {
  /** Everything the engine does differently; the stores ask it instead of asking which engine this is. */
  dialect: SqlDialect
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
   * take part in them. The SQLite dialect holds it; it is here for tests of the connection's settings.
   */
  sqlite?: BetterSqlite3.Database
  /** SQLite: precompiled point reads run on the reader connection directly (precompile.ts). */
  readSync?: SyncRead
  /** PostgreSQL: precompiled point reads run as named prepared statements on the pool (precompile.ts). */
  readPrepared?: PreparedRead
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
    // Page caches count in the server's memory, the OS's file cache does not, and a page read from the
    // OS cache costs a few µs: beyond these sizes more cache bought nothing measurable
    // (docs/benchmarks.md) while it grew the resident size by up to 96 MB.
    ['cache_size', readonly ? '-16384' : '-32768'],
    ['temp_store', 'MEMORY'],
  ]
  if (!readonly) {
    // NORMAL is durable in WAL mode against process crashes; only an OS crash can lose the last commits.
    // secure_delete zeroes deleted content (cells, freed pages) as it is deleted, so an erased
    // person's bytes leave the database file once the erasure's checkpoint has run (dialect.scrubDeleted).
    defaults.unshift(['journal_mode', 'WAL'], ['synchronous', 'NORMAL'], ['secure_delete', 'ON'])
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

/*
 * Kysely rolls a failed transaction back and then rethrows its error, but a ROLLBACK that fails
 * throws instead, and its error replaces the one that explains the failure. SQLite ends the
 * transaction itself on some errors (SQLITE_FULL, some I/O errors): ROLLBACK then fails with
 * "cannot rollback - no transaction is active", and a full disk was answered 500 instead of 503.
 * On PostgreSQL, ROLLBACK on a connection that died fails too, and the server has already ended
 * that transaction with the connection. These drivers keep the first error.
 */
class SqliteDriverKeepingCause extends SqliteDriver {
  private readonly writer: BetterSqlite3.Database
  constructor(config: SqliteDialectConfig & { writer: BetterSqlite3.Database }) {
    super(config)
    this.writer = config.writer
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.writer.inTransaction) await super.rollbackTransaction(connection)
  }
}

class SqliteDialectKeepingCause extends SqliteDialect {
  private readonly settings: SqliteDialectConfig & { writer: BetterSqlite3.Database }
  constructor(config: SqliteDialectConfig & { writer: BetterSqlite3.Database }) {
    super(config)
    this.settings = config
  }
  override createDriver(): Driver {
    return new SqliteDriverKeepingCause(this.settings)
  }
}

class PostgresDriverKeepingCause extends PostgresDriver {
  private readonly log: (message: string) => void
  constructor(config: PostgresDialectConfig & { log: (message: string) => void }) {
    super(config)
    this.log = config.log
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection)
    } catch (error) {
      if (!storageUnavailable(error)) throw error
      this.log(`ROLLBACK on a closed PostgreSQL connection failed (the server ended that transaction): ${String(error)}`)
    }
  }
}

class PostgresDialectKeepingCause extends PostgresDialect {
  private readonly settings: PostgresDialectConfig & { log: (message: string) => void }
  constructor(config: PostgresDialectConfig & { log: (message: string) => void }) {
    super(config)
    this.settings = config
  }
  override createDriver(): Driver {
    return new PostgresDriverKeepingCause(this.settings)
  }
}

/** How long a request waits for a PostgreSQL connection before it is answered 503. */
const CONNECT_TIMEOUT_MS = 5_000

interface OpenOptions {
  log?: (message: string) => void
}

/** Opens the database `config.storage` names and brings its schema up to date. */
export async function openDatabase(config: { readonly storage: StorageTarget }, options: OpenOptions = {}): Promise<SqlDatabase> {
  const target = config.storage
  switch (target.kind) {
    case 'postgres':
      return openPostgres(target.url, options)
    case 'sqlite':
      return openSqlite(target.file, target.pragmas)
  }
}

async function openPostgres(url: string, options: OpenOptions): Promise<SqlDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Without a bound, a request waits forever for a connection while PostgreSQL is down or every
    // connection is busy; with one it fails, and is answered 503 (faults.ts).
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Finds a connection whose peer vanished (a network cut) instead of waiting on it for good.
    keepAlive: true,
  })
  // A connection cut by the server (a PostgreSQL restart, an administrator's terminate, a forced
  // DROP DATABASE) emits 'error' on its client, whether it sits idle in the pool or is checked out
  // between two statements of a transaction; with no listener Node treats it as uncaught and the
  // process dies. The statement running on it, or the next one, fails and its request is answered
  // 503; the pool drops the connection and opens another for the next query.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.log?.(`a PostgreSQL connection was closed by the server: ${error.message}`))
  })
  // The pool repeats an idle connection's error here; the connection's own listener above logged it.
  pool.on('error', () => undefined)
  const db = new Kysely<Database>({ dialect: new PostgresDialectKeepingCause({ pool, log: (message) => options.log?.(message) }) })
  await migrate(db as Kysely<unknown>, postgresDialect)
  // Each text gets its own name; a connection prepares a name the first time it runs it and keeps it.
  const names = new Map<string, string>()
  const readPrepared: PreparedRead = (text) => {
    const name = names.get(text) ?? `cdp_read_${names.size + 1}`
    names.set(text, name)
    return async (values) => (await pool.query({ name, text, values: [...values] })).rows as unknown[]
  }
  return { dialect: postgresDialect, db, reader: db, readPrepared, close: () => db.destroy() }
}

async function openSqlite(file: string, pragmas: readonly SqlitePragma[] | undefined): Promise<SqlDatabase> {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const writer = openSqliteFile(file, false, pragmas)
  const db = new Kysely<Database>({ dialect: new SqliteDialectKeepingCause({ database: withStatementCache(writer), writer }) })
  const dialect = createSqliteDialect(writer)
  await migrate(db as Kysely<unknown>, dialect)
  const readConnection = openSqliteFile(file, true, pragmas)
  const reader = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(readConnection) }) })
  // Statements prepared once per precompiled read; a statement with no result columns cannot be all()ed.
  const readSync: SyncRead = (source) => {
    const statement = readConnection.prepare(source)
    return (parameters) => statement.all(...parameters)
  }
  return {
    dialect,
    db,
    reader,
    readSync,
    sqlite: writer,
    close: async () => {
      await reader.destroy()
      await db.destroy()
    },
  }
}
