// Shared by the cohort and segment stores: chunked IN lists, and the email and most recent cookie of
// each profile on a member page.
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { SqlDialect } from './dialect/dialect.ts'

export const MAX_IN_LIST = 5_000

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Email and most recent cookie (ties: the smallest) of each profile: two queries for the whole page. */
export async function profileContacts(
  reader: Kysely<Database>,
  dialect: SqlDialect,
  ids: readonly string[],
): Promise<Map<string, { email: string | null; cookie: string | null }>> {
  const out = new Map<string, { email: string | null; cookie: string | null }>()
  const cookieById = new Map<string, { value: string; lastSeen: number }>()
  for (const part of chunks([...new Set(ids)], MAX_IN_LIST)) {
    const [profiles, cookies] = await Promise.all([
      reader.selectFrom('profiles').select(['id', 'email']).where('id', 'in', part).execute(),
      reader.selectFrom('identities').select(['profile_id', 'value', 'last_seen']).where(dialect.unindexed('kind'), '=', 'cookie').where('profile_id', 'in', part).execute(),
    ])
    for (const p of profiles) out.set(p.id, { email: p.email, cookie: null })
    for (const c of cookies) {
      const best = cookieById.get(c.profile_id)
      const lastSeen = Number(c.last_seen)
      if (!best || lastSeen > best.lastSeen || (lastSeen === best.lastSeen && c.value < best.value)) {
        cookieById.set(c.profile_id, { value: c.value, lastSeen })
      }
    }
  }
  for (const [id, c] of cookieById) {
    const contact = out.get(id)
    if (contact) contact.cookie = c.value
  }
  return out
}
