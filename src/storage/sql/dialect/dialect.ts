// The seam between the stores and the engine: everything SQLite and PostgreSQL do differently sits
// behind this interface, so no other code in storage asks which engine it runs on.
import type { ColumnDefinitionBuilder, Kysely, RawBuilder, Transaction } from 'kysely'
import type { Database } from '../schema.ts'

export type Trx = Transaction<Database>
export type TableName = keyof Database
/** One row of a bulk write, by column. */
export type Row = Record<string, string | number | null>
export type Sql<T = unknown> = RawBuilder<T>

/** Everything the two engines do differently, and nothing else. */
export interface SqlDialect {
  /** Which engine this is, for /health and logs (Store.engine); no code branches on it. */
  readonly name: 'sqlite' | 'postgres'

  /**
   * Whether batches should wait for a running transaction and commit together. SQLite has one
   * writer, so waiting costs nothing and one commit writes each touched page once; PostgreSQL's
   * concurrent transactions each make progress, so they should not wait.
   */
  readonly groupCommit: boolean

  /**
   * Whether a page's point reads should be one statement. A PostgreSQL read is a round trip through
   * the pool, which costs more than the read itself, so GET /api/user reads the profile with its
   * interests, cookies and memberships as JSON aggregates (json_agg) at once. SQLite's precompiled
   * reads are synchronous calls of microseconds on the reader connection: building and parsing JSON
   * would only add to them.
   */
  readonly readsCombined: boolean

  /**
   * Whether a failed transaction lost a race with a concurrent one and is worth running again.
   * PostgreSQL: a unique violation, deadlock or serialization failure between concurrent batches.
   * SQLite serializes writers, so no transaction loses such a race.
   */
  isRetryable(error: unknown): boolean

  /**
   * Whether a query failed on a stored value the engine cannot read, not on the database. SQLite
   * reports JSON past its depth limit as SQLITE_ERROR with a message; PostgreSQL raises a data
   * exception (SQLSTATE class 22), such as \u0000 in text cast to jsonb.
   */
  isUnreadableValue(error: unknown): boolean

  /**
   * Serializes concurrent batches that touch the same identifiers. PostgreSQL takes advisory locks
   * (bucketed, in key order, so batches never deadlock); SQLite has one writer and needs none.
   */
  lockIdentifiers(trx: Trx, keys: readonly string[]): Promise<void>

  /**
   * The query with row locks (FOR UPDATE), so a concurrent batch touching the same rows waits.
   * PostgreSQL needs them between concurrent writers; SQLite has no row locks and one writer.
   */
  lockRows<QB extends { forUpdate(): QB }>(query: QB): QB

  /**
   * Inserts rows (all with the same columns), updating `update` columns of rows whose `conflict`
   * columns exist already (nothing when `update` is empty). SQLite: cached prepared statements, 64
   * rows per statement, since preparing through Kysely costs more than the write. PostgreSQL: one
   * statement per 10,000 rows with each column sent as one array (unnest), so the statement text
   * and its plan stay the same whatever the batch size.
   */
  upsertMany(trx: Trx, table: TableName, rows: readonly Row[], on: { conflict: readonly string[]; update: readonly string[] }): Promise<void>

  /**
   * Inserts raw records, skipping those whose content_hash is stored already, and returns the new
   * ids by content hash. SQLite tells a row's id only for single-row statements; PostgreSQL returns
   * them from one unnest statement per chunk.
   */
  insertReturningIds(trx: Trx, rows: readonly Row[]): Promise<Map<string, number>>

  /**
   * Deletes (segment_id, profile_id) pairs. SQLite: a prepared delete per pair (microseconds each);
   * PostgreSQL: a round trip per statement, so chunked IN lists per segment.
   */
  deletePairs(trx: Trx, table: 'segment_memberships' | 'segment_schedule', pairs: ReadonlyArray<{ segmentId: string; profileId: string }>): Promise<void>

  /**
   * Adds each delta to its segment's or cohort's member count, deltas sorted by id. SQLite: a
   * prepared update per id. PostgreSQL: one statement (a batch touches a dozen cohorts: a dozen round
   * trips otherwise) that sums the deltas of each id and locks the rows in id order first (an
   * UPDATE … FROM alone locks in join order, and two batches could deadlock on the same counters).
   */
  addMembers(trx: Trx, table: 'segments' | 'cohorts', deltas: ReadonlyArray<readonly [id: string, delta: number]>): Promise<void>

  /**
   * A column reference the planner must not pick an index for. SQLite without statistics prefers
   * the identities primary key (kind, value) for "kind = 'cookie' and profile_id = ?", scanning every
   * cookie; a unary plus keeps the term out of index selection. PostgreSQL plans from statistics.
   */
  unindexed(column: string): Sql<string>

  /** Refreshes the planner's statistics: PRAGMA optimize on SQLite, ANALYZE on PostgreSQL (which may run without autovacuum). */
  optimize(db: Kysely<Database>): Promise<void>

  /**
   * After an erasure: removes from the storage files what the deleted rows left behind, so no byte of
   * an erased identifier stays on disk longer than it must (docs/privacy.md). SQLite's writer runs
   * with secure_delete, so freed content is zeroed as it is deleted; this refreshes the statistics of
   * the tables that have any (sqlite_stat4 keeps sample index keys, identifiers among them) and
   * checkpoints the WAL into the database file and truncates it (the WAL still holds the old pages).
   * It throws when a reader keeps the checkpoint from finishing (busy_timeout). PostgreSQL runs
   * VACUUM (ANALYZE) on each table, outside any transaction: dead tuples become free space, and the
   * statistics (whose most common values and histograms sample column values) are taken anew.
   */
  scrubDeleted(db: Kysely<Database>, tables: readonly TableName[]): Promise<void>

  /** Column types and table options the migrations spell differently. */
  readonly schema: {
    /** A 64-bit integer: SQLite's INTEGER is 64-bit already, PostgreSQL's integer is 32-bit. */
    readonly bigint: 'integer' | 'bigint'
    /** An 8-byte float: SQLite's REAL is one, PostgreSQL's real is 4 bytes. */
    readonly double: 'real' | 'double precision'
    /** An auto-increment id's type: SQLite's INTEGER PRIMARY KEY is the rowid; PostgreSQL uses bigserial. */
    readonly idType: 'integer' | 'bigserial'
    /** The id's constraints: SQLite needs AUTOINCREMENT so ids are never reused; bigserial never reuses them. */
    idColumn(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder
    /**
     * Options for narrow tables keyed by their primary key: on SQLite, WITHOUT ROWID stores them in
     * that key's B-tree instead of a rowid table plus an index; PostgreSQL has no such option.
     */
    readonly clustered: Sql
    /**
     * Lets columns hold NULL. PostgreSQL alters the column; SQLite cannot, so it rebuilds the table
     * from its own CREATE statement (keeping every column, index and the AUTOINCREMENT counter).
     */
    dropNotNull(db: Kysely<unknown>, table: string, columns: readonly string[]): Promise<void>
  }

  /** ASCII-only case folding, like foldCase(): SQLite's lower() folds only A-Z; PostgreSQL's folds by locale, so translate(). */
  fold(value: Sql): Sql

  /** Whether `needle` occurs in `haystack` (no wildcards to escape, unlike LIKE): instr on SQLite, strpos on PostgreSQL. */
  contains(haystack: Sql, needle: Sql): Sql

  /**
   * A bound parameter of a known type. PostgreSQL cannot infer the type of a bare parameter inside
   * length(), strpos() or a comparison with a double, so it gets a cast; SQLite needs none.
   */
  param(value: string | number, type: 'text' | 'double' | 'bigint'): Sql

  /**
   * Reading JSON text columns (traits, event properties) at a path of object keys. SQLite has
   * json_type/json_extract with a quoted path; PostgreSQL casts to jsonb and chains -> with text
   * keys (never #>, whose path array would index into arrays with numeric keys).
   */
  readonly json: {
    /** The value, NULL when the key is absent or holds JSON null. */
    present(document: Sql, path: readonly string[]): Sql
    /** The value when it is a JSON string, else NULL. */
    text(document: Sql, path: readonly string[]): Sql
    /** The value when it is a JSON number, else NULL. */
    number(document: Sql, path: readonly string[]): Sql
    /** Whether the value is the JSON boolean `wanted` (NULL or false otherwise). */
    isBoolean(document: Sql, path: readonly string[], wanted: boolean): Sql
  }
}
