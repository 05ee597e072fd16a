// A limit demotes the record's lowest-priority identifier (as Segment's identity resolution does).
// The cookie is the lowest of all. When a record without an email carries a user id that its
// cookie's person may not take (the user-id limit, one by default: another user logged in on this
// browser), the cookie is demoted: the record is resolved as if it carried only its user id, keyed
// by "uid:<userId>" as a message without an anonymousId is, so it reaches that user id's own person.
// The cookie stays where it was. With an email, the email is the person's key and the user id is
// demoted instead (link-stage.ts). Other linked kinds key no person, so they are demoted themselves.
//
// Pure over what the stage loaded; the holdings of a cookie's person are tracked through the batch
// in observation order, so a batch decides as its records would one by one.
import { type IdentitySettings, windowStart } from '../../domain/identifier-kinds.ts'
import { USER_ID_COOKIE_PREFIX } from '../../domain/identity.ts'
import { type BatchObservation, compareObservations } from './resolve-batch.ts'

export interface DemotedCookie {
  rawId: number
  cookie: string
  userId: string
  limit: number
  window: string
}

type Holding = { kind: string; value: string; firstSeen: number }

/** The user ids whose limit a batch could break: the email-less records with a user id and a real cookie. */
export function cookiesToCheck(items: readonly BatchObservation[], settings: IdentitySettings): string[] {
  if (settings.byKind.get('user_id')?.limit.count == null) return []
  const cookies = new Set<string>()
  for (const { observation: o } of items) {
    if (o.email === null && !o.cookie.startsWith(USER_ID_COOKIE_PREFIX) && o.identifiers?.some((i) => i.kind === 'user_id')) cookies.add(o.cookie)
  }
  return [...cookies]
}

export function demoteCookies(
  items: readonly BatchObservation[],
  input: { settings: IdentitySettings; cookieOwners: ReadonlyMap<string, string>; held: ReadonlyMap<string, ReadonlyArray<Holding>> },
): { items: BatchObservation[]; demoted: DemotedCookie[] } {
  const limit = input.settings.byKind.get('user_id')?.limit
  if (!limit || limit.count === null) return { items: [...items], demoted: [] }
  const max = limit.count
  // cookie -> the user ids its person holds, as the batch goes.
  const holdings = new Map<string, Holding[]>()
  const holdingsOf = (cookie: string): Holding[] => {
    let list = holdings.get(cookie)
    if (!list) {
      const owner = input.cookieOwners.get(cookie)
      list = owner === undefined ? [] : (input.held.get(owner) ?? []).filter((h) => h.kind === 'user_id').map((h) => ({ ...h }))
      holdings.set(cookie, list)
    }
    return list
  }
  const demoted: DemotedCookie[] = []
  const out: BatchObservation[] = []
  for (const item of [...items].sort(compareObservations)) {
    const o = item.observation
    const userId = o.identifiers?.find((i) => i.kind === 'user_id')?.value
    if (userId === undefined || o.cookie.startsWith(USER_ID_COOKIE_PREFIX)) {
      out.push(item)
      continue
    }
    const held = holdingsOf(o.cookie)
    const since = windowStart(limit, o.observedAt)
    const known = held.some((h) => h.value === userId)
    if (o.email === null && !known && held.filter((h) => h.firstSeen >= since).length >= max) {
      const key = `${USER_ID_COOKIE_PREFIX}${userId}`
      demoted.push({ rawId: item.rawId, cookie: o.cookie, userId, limit: max, window: limit.window })
      out.push({ ...item, observation: { ...o, cookie: key } })
      continue
    }
    if (!known) held.push({ kind: 'user_id', value: userId, firstSeen: o.observedAt })
    out.push(item)
  }
  return { items: out, demoted }
}
