// Naming one person in a query string: by exactly one of profile_id, cookie, email or user_id.
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'

export const PERSON_KEYS = ['profile_id', 'cookie', 'email', 'user_id'] as const
export type PersonKey = (typeof PERSON_KEYS)[number]

/** Query parameters naming one person; `findPerson` requires exactly one of them. */
export const personQueryProperties = {
  profile_id: { type: 'string', minLength: 1 },
  cookie: { type: 'string', minLength: 1 },
  email: { type: 'string', minLength: 1 },
  user_id: { type: 'string', minLength: 1, description: 'a Segment userId that is not an email' },
} as const

/** The profile one of profile_id, cookie, email or user_id names; 400 unless exactly one is given. */
export async function findPerson(ctx: RouteContext, query: Partial<Record<PersonKey, string>>): Promise<{ profileId: string; key: PersonKey; value: string }> {
  const given = PERSON_KEYS.filter((k) => query[k] !== undefined)
  if (given.length !== 1) {
    throw new AppError(
      'invalid_input',
      given.length === 0
        ? `give exactly one of ${PERSON_KEYS.join(', ')} (e.g. ?email=jane@example.com)`
        : `give exactly one of ${PERSON_KEYS.join(', ')}, not ${given.join(' and ')}`,
    )
  }
  const key = given[0] as PersonKey
  const raw = query[key] as string
  // Emails are matched as stored: trimmed and lower-cased.
  const value = key === 'email' ? raw.trim().toLowerCase() : raw.trim()
  const profileId = await ctx.store.findProfileId(key, value)
  if (!profileId) throw new AppError('not_found', `no user with ${key} "${raw}"`)
  return { profileId, key, value: raw }
}
