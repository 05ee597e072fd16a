// Shared by the cohort and segment stores: chunked IN lists, and the email and most recent cookie of
// each profile on a member page.
import { type Kysely, sql } from 'kysely'
import { precompile, type ReadTarget } from './precompile.ts'
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

type MemberTable = 'cohort_memberships' | 'segment_memberships'
type MemberKey<T extends MemberTable> = T extends 'cohort_memberships' ? 'cohort_id' : 'segment_id'

/**
 * One page of an audience, by cursor or by offset, with each member's email and most recent cookie:
 * one statement, compiled once. The page is cut from the membership index first (a derived table
 * with its limit), and only its members' profiles and cookies are read; joining first made
 * PostgreSQL scan every profile. Without a cursor the page starts after '' (profile ids are never
 * empty); a cursor page ignores the offset.
 */
export function precompileMemberPage<T extends MemberTable, C extends string>(target: ReadTarget, dialect: SqlDialect, table: T, key: MemberKey<T>, columns: readonly C[]) {
  const { reader } = target
  const run = precompile(target, (p) =>
    reader
      .selectFrom((eb) =>
        eb
          .selectFrom(table as MemberTable)
          .select(['profile_id', ...(columns as unknown as ['profile_id'])])
          .where(key as 'cohort_id', '=', p('audience'))
          .where('profile_id', '>', p('after'))
          .orderBy('profile_id')
          .limit(sql<number>`${p('limit')}`)
          .offset(sql<number>`${p('offset')}`)
          .as('m'),
      )
      .leftJoin('profiles', 'profiles.id', 'm.profile_id')
      .selectAll('m')
      .select((eb) => [
        'profiles.email',
        eb
          .selectFrom('identities')
          .select('identities.value')
          .whereRef('identities.profile_id', '=', 'm.profile_id')
          .where(dialect.unindexed('identities.kind'), '=', 'cookie')
          .orderBy('identities.last_seen', 'desc')
          .orderBy('identities.value')
          .limit(1)
          .as('cookie'),
      ])
      .orderBy('m.profile_id'),
  )
  return async (input: { audienceId: string; afterProfileId: string | undefined; limit: number; offset: number }) =>
    (await run({ audience: input.audienceId, after: input.afterProfileId ?? '', limit: input.limit, offset: input.afterProfileId === undefined ? input.offset : 0 })) as unknown as Array<Record<C, unknown> & { profile_id: string; email: string | null; cookie: string | null }>
}
