// Naming one person in a query string: by exactly one of profile_id, cookie, email or user_id (the
// keys every operation takes), and for lookups also by phone, device_id or identifier=kind:value
// (any declared kind; docs/privacy.md "Identifier kinds").
import { AppError } from '../../errors.ts'
import { parseKindValue } from '../../domain/identifier-kinds.ts'
import { toE164 } from '../../pipeline/validate/phone.ts'
import type { RouteContext } from '../app.ts'

export const PERSON_KEYS = ['profile_id', 'cookie', 'email', 'user_id'] as const
export type PersonKey = (typeof PERSON_KEYS)[number]
export const LOOKUP_KEYS = [...PERSON_KEYS, 'phone', 'device_id', 'identifier'] as const
export type LookupKey = (typeof LOOKUP_KEYS)[number]

/** Query parameters naming one person; `findPerson` requires exactly one of them. */
export const personQueryProperties = {
  profile_id: { type: 'string', minLength: 1 },
  cookie: { type: 'string', minLength: 1 },
  email: { type: 'string', minLength: 1 },
  user_id: { type: 'string', minLength: 1, description: 'a Segment userId that is not an email' },
} as const

/** personQueryProperties, and the lookups by any identifier kind. */
export const lookupQueryProperties = {
  ...personQueryProperties,
  phone: { type: 'string', minLength: 1, description: 'a phone number, read as E.164 (+15551234567) with the default country; linked when CDP_IDENTIFIERS declares phone' },
  device_id: { type: 'string', minLength: 1, description: "an app's device id (context.device.id)" },
  identifier: { type: 'string', minLength: 3, description: 'any kind: kind:value, e.g. loyalty_id:L-1001 (GET /api/identity/settings lists the kinds)' },
} as const

/** The profile one of the lookup keys names; 400 unless exactly one is given. */
export async function findPerson(ctx: RouteContext, query: Partial<Record<LookupKey, string>>): Promise<{ profileId: string; key: LookupKey; value: string }> {
  const keys: readonly LookupKey[] = LOOKUP_KEYS
  const given = keys.filter((k) => query[k] !== undefined)
  if (given.length !== 1) {
    throw new AppError(
      'invalid_input',
      given.length === 0
        ? `give exactly one of ${LOOKUP_KEYS.join(', ')} (e.g. ?email=jane@example.com)`
        : `give exactly one of ${LOOKUP_KEYS.join(', ')}, not ${given.join(' and ')}`,
    )
  }
  const key = given[0] as LookupKey
  const raw = query[key] as string
  const { kind, value } = lookupIdentifier(ctx, key, raw)
  const profileId = await ctx.store.findProfileId(kind, value)
  if (!profileId) throw new AppError('not_found', `no user with ${key} "${raw}"`)
  return { profileId, key, value: raw }
}

/** The (kind, value) a lookup key names, as identities store it. */
function lookupIdentifier(ctx: RouteContext, key: LookupKey, raw: string): { kind: string; value: string } {
  if (key === 'identifier') {
    const parsed = parseKindValue(raw)
    if (!parsed) throw new AppError('invalid_input', `identifier must be kind:value, e.g. loyalty_id:L-1001 (got "${raw}")`)
    const { kind, value } = parsed
    if (kind !== 'profile_id' && !ctx.config.identity.byKind.has(kind)) {
      throw new AppError('invalid_input', `identifier: "${kind}" is not an identifier kind; the kinds are ${[...ctx.config.identity.byKind.keys(), 'profile_id'].join(', ')}`)
    }
    // identifier=email:… reads as ?email=…; a declared kind is taken as given.
    return (LOOKUP_KEYS as readonly string[]).includes(kind) ? lookupIdentifier(ctx, kind as LookupKey, value) : { kind, value }
  }
  // Emails are matched as stored: trimmed and lower-cased; phones as E.164.
  if (key === 'email') return { kind: key, value: raw.trim().toLowerCase() }
  if (key === 'phone') return { kind: key, value: toE164(raw.trim(), [ctx.config.defaultPhoneCountry]) ?? raw.trim() }
  return { kind: key, value: raw.trim() }
}
