// Point reads on hot paths (GET /api/user), compiled once.
import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from './schema.ts'

/**
 * Builds a query once and runs its compiled SQL with new parameters: building and compiling through
 * Kysely cost more than running a point read. `p(name)` marks where a parameter goes.
 */
export function precompile<R>(
  db: Kysely<Database>,
  build: (p: (name: string) => string) => { compile(): CompiledQuery<R> },
): (args: Record<string, string>) => Promise<R[]> {
  const marker = '\u0000param:'
  const compiled = build((name) => `${marker}${name}`).compile()
  const slots = compiled.parameters.map((v) => (typeof v === 'string' && v.startsWith(marker) ? v.slice(marker.length) : undefined))
  return async (args) => {
    const parameters = compiled.parameters.map((v, i) => {
      const slot = slots[i]
      return slot === undefined ? v : args[slot]
    })
    return (await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters))).rows
  }
}
