// A person's footprint: every raw record that is about them. Erasure deletes it and the access
// export lists it, both through this one rule, so the two always agree.
//
// The rule (docs/privacy.md, Erasure):
// - accepted rows carrying one of the person's emails;
// - anonymous rows (email NULL) of one of their cookies that the cookie's login timeline assigns to
//   them (pipeline/identity/timeline.ts); a cookie that never logged in gives all its anonymous rows;
// - the raw rows of their events;
// - rejected and superseded rows whose payload holds one of their emails (any case) or user ids as a
//   JSON string value, and those whose cookie is one of theirs unless the payload holds another
//   person's address (then it is that person's record: someone else on a shared laptop).
// Messages keyed by a Segment userId alone carry the cookie "uid:<userId>" (collect/segment-spec.ts).
import { describeEmailProblem, normalizeEmail } from '../domain/email.ts'
import type { Login } from '../domain/profile.ts'
import { assignAnonymous } from '../pipeline/identity/timeline.ts'
import type { PersonRows } from '../storage/ports/privacy.ts'

/** As collect/segment-spec.ts keys a message that has only a userId. */
export const USER_ID_COOKIE_PREFIX = 'uid:'

export interface PersonKeys {
  profileIds: string[]
  emails: string[]
  /** Every cookie whose rows may be theirs: their own, the "uid:" keys and shared cookies their emails logged in on. */
  cookies: string[]
  /** The cookies that are theirs alone (their identity rows, or named in the request): what suppression takes. */
  ownCookies: string[]
  userIds: string[]
}

/** Identifiers as a request names them, before the person's own rows add theirs. */
export interface BareKeys {
  emails: string[]
  cookies: string[]
  userIds: string[]
}

/** The identifiers of a person, from their identity rows (or the bare identifiers when no profile holds them). */
export function personKeys(rows: Pick<PersonRows, 'profileId' | 'identities' | 'loginCookies'>, bare: BareKeys = { emails: [], cookies: [], userIds: [] }): PersonKeys {
  const profileIds = new Set<string>(rows.profileId ? [rows.profileId] : [])
  const emails = new Set(bare.emails)
  const cookies = new Set(bare.cookies)
  const userIds = new Set(bare.userIds)
  for (const identity of rows.identities) {
    if (identity.kind === 'profile') profileIds.add(identity.value)
    else if (identity.kind === 'email') emails.add(identity.value)
    else if (identity.kind === 'cookie') cookies.add(identity.value)
    else userIds.add(identity.value)
  }
  const ownCookies = [...cookies]
  for (const u of userIds) cookies.add(`${USER_ID_COOKIE_PREFIX}${u}`)
  for (const e of emails) cookies.add(`${USER_ID_COOKIE_PREFIX}${e}`)
  for (const c of rows.loginCookies) cookies.add(c)
  return { profileIds: [...profileIds], emails: [...emails], cookies: [...cookies], ownCookies, userIds: [...userIds] }
}

/** Whether a JSON payload holds one of these values as a string (emails compared case-insensitively). */
export function payloadNames(payload: string, emails: ReadonlySet<string>, exact: ReadonlySet<string>): boolean {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    // A line that was never JSON: only a plain substring test can find an identifier in it.
    const lower = payload.toLowerCase()
    for (const e of emails) if (lower.includes(e)) return true
    for (const x of exact) if (payload.includes(x)) return true
    return false
  }
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (exact.has(v) || emails.has(v.trim().toLowerCase())) return true
    } else if (Array.isArray(v)) stack.push(...v)
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v))
  }
  return false
}

/** Whether a JSON payload holds a valid email address (as a string value) that is none of `emails`. */
export function payloadNamesAnother(payload: string, emails: ReadonlySet<string>): boolean {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    // Not JSON: whose it is cannot be told, so it stays with the cookie's people.
    return false
  }
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      const email = normalizeEmail(v)
      if (email.includes('@') && !emails.has(email) && describeEmailProblem(email) === null) return true
    } else if (Array.isArray(v)) stack.push(...v)
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v))
  }
  return false
}

/** The raw ids of the person's footprint, sorted. */
export function footprintIds(rows: PersonRows, keys: PersonKeys): number[] {
  const emails = new Set(keys.emails)
  const cookies = new Set(keys.cookies)
  const ids = new Set<number>(rows.eventRawIds)
  const belongs = (logins: readonly Login[] | undefined, at: number | null): boolean => {
    if (!logins || logins.length === 0) return true
    const email = assignAnonymous(logins, at ?? 0)
    return email !== null && emails.has(email)
  }
  for (const row of rows.candidates) {
    if (row.email !== null) {
      if (emails.has(row.email)) ids.add(row.id)
    } else if (row.cookie !== null && cookies.has(row.cookie) && belongs(rows.logins.get(row.cookie), row.observedAt)) ids.add(row.id)
  }
  const exact = new Set(keys.userIds)
  for (const row of rows.unresolved) {
    const namesThem = (row.email !== null && emails.has(row.email)) || (row.payload !== undefined && payloadNames(row.payload, emails, exact))
    // On one of their cookies and naming nobody else: a rejected record has no time to place it on the
    // cookie's login timeline, so it goes with each person whose cookie it is. One that carries another
    // person's address is that person's (Bob's rejected record on the laptop he shares with Alice).
    const onTheirCookie = row.cookie !== null && cookies.has(row.cookie) && !(row.payload !== undefined && payloadNamesAnother(row.payload, emails))
    if (namesThem || onTheirCookie) ids.add(row.id)
  }
  return [...ids].sort((a, b) => a - b)
}
