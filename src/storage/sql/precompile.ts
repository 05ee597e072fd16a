// Point reads on hot paths (GET /api/user, member pages), compiled once.
import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from './schema.ts'

/**
 * Runs one compiled read with its parameters and returns its rows. SQLite's reader connection gives
 * one (open.ts): a prepared better-sqlite3 statement run in place, which skips Kysely's driver (a
 * connection mutex and three promises per statement, about as much as the point read itself).
 */
export type SyncRead = (sql: string) => (parameters: readonly unknown[]) => unknown[]

/**
 * Runs one compiled read as a named prepared statement. PostgreSQL's pool gives one (open.ts): each
 * connection parses and plans the statement once instead of on every execution (the profile view's
 * JSON aggregates cost more to plan than to run).
 */
export type PreparedRead = (sql: string) => (parameters: readonly unknown[]) => Promise<unknown[]>

/** Where precompiled reads run: the reader; SQLite's statements run directly, PostgreSQL's prepared once per connection. */
export interface ReadTarget {
  reader: Kysely<Database>
  readSync?: SyncRead
  readPrepared?: PreparedRead
}

/**
 * Builds a query once and runs its compiled SQL with new parameters: building and compiling through
 * Kysely cost more than running a point read. `p(name)` marks where a parameter goes.
 */
export function precompile<R>(
  target: ReadTarget,
  build: (p: (name: string) => string) => { compile(): CompiledQuery<R> },
): (args: Record<string, string | number>) => Promise<R[]> {
  const marker = '\u0000param:'
  const compiled = build((name) => `${marker}${name}`).compile()
  const slots = compiled.parameters.map((v) => (typeof v === 'string' && v.startsWith(marker) ? v.slice(marker.length) : undefined))
  const bind = (args: Record<string, string | number>): unknown[] =>
    compiled.parameters.map((v, i) => {
      const slot = slots[i]
      return slot === undefined ? v : args[slot]
    })
  const run = target.readSync?.(compiled.sql)
  if (run) return (args) => Promise.resolve(run(bind(args)) as R[])
  const prepared = target.readPrepared?.(compiled.sql)
  if (prepared) return async (args) => (await prepared(bind(args))) as R[]
  return async (args) => (await target.reader.executeQuery<R>(CompiledQuery.raw(compiled.sql, bind(args)))).rows
}
