// Identity resolution over one batch, as a pure function of the rows the resolve stage loaded.
//
// The rules (issue #2, in the code's own words):
// 1. A record must carry a cookie. Without an email, the visitor is keyed by that cookie.
// 2. A known cookie updates its profile; a new cookie creates one.
// 3. A record with cookie C and email E:
//    a. E is new and C's profile has no email: E is attached to C's profile and becomes its key.
//    b. E belongs to another profile P: C's anonymous profile merges into P, keyed by E; every
//       cookie of both resolves to P.
//    c. C's profile already has another email E': C moves to E's profile (created if needed), as on
//       a shared device. E′'s profile keeps its own history; the merge log records the move.
//    "Most recent" is decided by observation time through the cookie's login timeline
//    (timeline.ts), so an older login arriving late never steals the cookie back.
// 4. Attributes merge latest-wins per field (merge.ts); an absorbed profile id keeps resolving to
//    its survivor through an identity row of kind "profile".
//
// Records are processed in observation-time order, so the order inside a batch never matters.
// 5. Refusals: a (cookie, email) link an admin refused (an unmerge), or one the guardrails forbid
//    (a person holds at most limits.maxCookiesPerPerson cookies; unlimited by default), is not made.
//    The record still belongs to E's person, as if it carried no cookie: no login is stored, the
//    cookie is not moved (a cookie never seen before gets an anonymous profile of its own, so that it
//    resolves like every accepted identifier), and the merge log says "refused" with the rule.
// 6. A shared device (a cookie whose logins name more than limits.sharedDeviceEmails distinct
//    emails): new logins still move the cookie (rule 3c), but its anonymous observations from the
//    login that made it shared on (timeline.ts sharedSince) are nobody's email history. They go to
//    the device's own anonymous profile, keyed by "shared:<cookie>", made (and logged as refused,
//    rule shared_device) the first time. Earlier anonymous observations stay where the timeline
//    puts them.
//
// The one case this cannot settle locally is a login older than observations the cookie already
// has under another person: those observations change hands. Such persons are returned in
// `rebuild`, and the resolve stage rebuilds them from the raw store, which holds every observation.
import type { Login, ProfileState } from '../../domain/profile.ts'
import type { Observation } from '../../domain/types.ts'
import { type IdentityLimits, type IdentityRow, identityKey, type MergeLogEntry, refusedLinkKey, type ResolveState, SHARED_DEVICE_PREFIX, USER_ID_COOKIE_PREFIX } from '../../domain/identity.ts'
import { applyObservation, emptyProfile, mergeProfiles } from './merge.ts'
import { assignAnonymous, compareLogins, distinctEmails, isSharedDeviceObservation, latestLogin } from './timeline.ts'

export interface BatchObservation {
  observation: Observation
  rawId: number
  source: string
}




export interface ResolveChanges {
  /** Profiles created or changed: write them whole. */
  profiles: Map<string, ProfileState>
  /** Profiles absorbed into another: delete them and point their identities at `into`. */
  absorbed: Array<{ id: string; into: string }>
  /** Identity rows created or changed. */
  identities: Map<string, IdentityRow>
  logins: Array<{ cookie: string; email: string; at: number }>
  merges: MergeLogEntry[]
  /** Emails whose person must be rebuilt from the raw store (late logins, see above). */
  rebuild: Set<string>
  /** raw id → the profile each accepted record resolved to. */
  resolvedTo: Map<number, string>
  /** Ids this batch generated (some may since be absorbed): nothing was ever stored under them. */
  created: Set<string>
}


export function compareObservations(a: BatchObservation, b: BatchObservation): number {
  const x = a.observation
  const y = b.observation
  if (x.observedAt !== y.observedAt) return x.observedAt - y.observedAt
  // Same millisecond: logins before anonymous records (an observation at the moment of a login
  // belongs to that login, as assignAnonymous says), then a total order on content, so that the
  // outcome never depends on arrival order.
  if ((x.email === null) !== (y.email === null)) return x.email === null ? 1 : -1
  const ex = x.email ?? ''
  const ey = y.email ?? ''
  if (ex !== ey) return ex < ey ? -1 : 1
  if (x.cookie !== y.cookie) return x.cookie < y.cookie ? -1 : 1
  return a.rawId - b.rawId
}

export function resolveBatch(
  state: ResolveState,
  batch: readonly BatchObservation[],
  options: { newProfileId: () => string; now: number; limits?: Partial<Pick<IdentityLimits, 'maxCookiesPerPerson' | 'sharedDeviceEmails'>> },
): ResolveChanges {
  const identities = new Map(state.identities)
  const refused = state.refused ?? new Set<string>()
  const cookieCounts = new Map(state.cookieCounts ?? [])
  const maxCookies = options.limits?.maxCookiesPerPerson ?? Number.POSITIVE_INFINITY
  const sharedDeviceEmails = options.limits?.sharedDeviceEmails ?? Number.POSITIVE_INFINITY
  const countsAsDevice = (cookie: string) => !cookie.startsWith(USER_ID_COOKIE_PREFIX) && !cookie.startsWith(SHARED_DEVICE_PREFIX)
  const addCookies = (profileId: string, n: number) => cookieCounts.set(profileId, (cookieCounts.get(profileId) ?? 0) + n)
  const profiles = new Map(state.profiles)
  const logins = new Map<string, Login[]>()
  for (const [cookie, list] of state.logins) logins.set(cookie, [...list])

  const changes: ResolveChanges = {
    profiles: new Map(),
    absorbed: [],
    identities: new Map(),
    logins: [],
    merges: [],
    rebuild: new Set(),
    resolvedTo: new Map(),
    created: new Set(),
  }

  const setIdentity = (kind: 'cookie' | 'email' | 'profile', value: string, profileId: string, at: number) => {
    const key = identityKey(kind, value)
    const previous = identities.get(key)
    if (kind === 'cookie' && countsAsDevice(value) && previous?.profileId !== profileId) {
      addCookies(profileId, 1)
      if (previous) addCookies(previous.profileId, -1)
    }
    const row: IdentityRow = previous
      ? { ...previous, profileId, firstSeen: Math.min(previous.firstSeen, at), lastSeen: Math.max(previous.lastSeen, at) }
      : { kind, value, profileId, firstSeen: at, lastSeen: at }
    // An unchanged row is not written again: it would dirty a random page and store nothing new.
    if (previous && previous.profileId === row.profileId && previous.firstSeen === row.firstSeen && previous.lastSeen === row.lastSeen) return
    identities.set(key, row)
    changes.identities.set(key, row)
  }
  const putProfile = (profile: ProfileState) => {
    profiles.set(profile.id, profile)
    changes.profiles.set(profile.id, profile)
  }
  const createProfile = (email: string | null): ProfileState => {
    const profile = emptyProfile(options.newProfileId(), email, options.now)
    changes.created.add(profile.id)
    putProfile(profile)
    return profile
  }
  const profileOf = (id: string): ProfileState => {
    const profile = profiles.get(id)
    if (!profile) throw new Error(`resolve: identity points at profile ${id}, which was not loaded`)
    return profile
  }
  const absorb = (survivor: ProfileState, absorbed: ProfileState): ProfileState => {
    const merged = mergeProfiles(survivor, absorbed)
    putProfile(merged)
    profiles.delete(absorbed.id)
    changes.profiles.delete(absorbed.id)
    changes.absorbed.push({ id: absorbed.id, into: survivor.id })
    addCookies(survivor.id, cookieCounts.get(absorbed.id) ?? 0)
    cookieCounts.delete(absorbed.id)
    for (const [key, row] of identities) {
      if (row.profileId === absorbed.id) {
        const moved = { ...row, profileId: survivor.id }
        identities.set(key, moved)
        changes.identities.set(key, moved)
      }
    }
    return merged
  }

  /** Records on the merge log that a cookie was kept from a person, and why. */
  const refuse = (survivorId: string, cookie: string, rawId: number, detail: Record<string, unknown>) =>
    changes.merges.push({ survivorId, absorbedId: null, reason: 'refused', identifierKind: 'cookie', identifier: cookie, rawId, detail })

  /** Why the login (cookie, email) at `at` must not be made, or null when it may. */
  const refusalOf = (cookie: string, email: string, cookieRow: IdentityRow | undefined, cookieLogins: readonly Login[], at: number): Record<string, unknown> | null => {
    if (refused.has(refusedLinkKey(cookie, email))) return { rule: 'refused_link' }
    const emailRow = identities.get(identityKey('email', email))
    if (!emailRow || !countsAsDevice(cookie) || cookieRow?.profileId === emailRow.profileId) return null
    // An older login leaves the cookie where it is (rule 3c): it adds no cookie to E's person.
    const latest = latestLogin(cookieLogins)
    const moves = !cookieRow || latest === undefined || compareLogins({ email, at }, latest) > 0
    if (moves && (cookieCounts.get(emailRow.profileId) ?? 0) >= maxCookies) return { rule: 'cookie_limit', limit: maxCookies }
    return null
  }

  const ordered = [...batch].sort(compareObservations)
  for (const item of ordered) {
    const { observation: o, rawId, source } = item
    const cookieKey = identityKey('cookie', o.cookie)
    const cookieRow = identities.get(cookieKey)
    const cookieLogins = logins.get(o.cookie) ?? []
    let target: ProfileState
    const refusal = o.email === null ? null : refusalOf(o.cookie, o.email, cookieRow, cookieLogins, o.observedAt)

    if (o.email === null) {
      if (!cookieRow) {
        target = createProfile(null)
        setIdentity('cookie', o.cookie, target.id, o.observedAt)
      } else if (isSharedDeviceObservation(cookieLogins, o.observedAt, sharedDeviceEmails)) {
        // Rule 6: the device's own anonymous profile.
        const deviceCookie = SHARED_DEVICE_PREFIX + o.cookie
        const deviceRow = identities.get(identityKey('cookie', deviceCookie))
        target = deviceRow ? profileOf(deviceRow.profileId) : createProfile(null)
        if (!deviceRow) refuse(target.id, o.cookie, rawId, { rule: 'shared_device', emails: distinctEmails(cookieLogins), limit: sharedDeviceEmails })
        setIdentity('cookie', deviceCookie, target.id, o.observedAt)
        setIdentity('cookie', o.cookie, cookieRow.profileId, o.observedAt)
      } else {
        const owner = assignAnonymous(cookieLogins, o.observedAt)
        const ownerRow = owner === null ? undefined : identities.get(identityKey('email', owner))
        target = profileOf(ownerRow?.profileId ?? cookieRow.profileId)
        setIdentity('cookie', o.cookie, cookieRow.profileId, o.observedAt)
      }
    } else if (refusal) {
      // Rule 5: the record is E's, without its cookie.
      const email = o.email
      const emailRow = identities.get(identityKey('email', email))
      target = emailRow ? profileOf(emailRow.profileId) : createProfile(email)
      refuse(target.id, o.cookie, rawId, refusal)
      setIdentity('email', email, target.id, o.observedAt)
      // An accepted record's every identifier resolves to one profile: a refused cookie seen for
      // the first time gets an anonymous profile of its own, where its later anonymous records go.
      if (!cookieRow) setIdentity('cookie', o.cookie, createProfile(null).id, o.observedAt)
    } else {
      const email = o.email
      const emailRow = identities.get(identityKey('email', email))
      const priorLogins = cookieLogins
      const login: Login = { email, at: o.observedAt }
      const updatedLogins = [...priorLogins, login]
      logins.set(o.cookie, updatedLogins)
      changes.logins.push({ cookie: o.cookie, email, at: o.observedAt })
      const current = latestLogin(updatedLogins)
      const cookieMovesHere = current !== undefined && compareLogins(current, login) === 0

      if (!cookieRow) {
        // Rule 2 + 3: a new cookie. It joins E's person, or founds it.
        target = emailRow ? profileOf(emailRow.profileId) : createProfile(email)
        setIdentity('cookie', o.cookie, target.id, o.observedAt)
        // Joining a known person is a link like rule 3b's, with no stored profile to absorb (yet:
        // the cookie's anonymous records of this batch fold in next). It goes on the history so that
        // it can be explained and undone like any other.
        if (emailRow) changes.merges.push({ survivorId: target.id, absorbedId: null, reason: 'email_match', identifierKind: 'email', identifier: email, rawId })
      } else if (priorLogins.length === 0) {
        // The cookie was anonymous: its profile holds only its own anonymous history.
        const cookieProfile = profileOf(cookieRow.profileId)
        if (!emailRow) {
          // Rule 3a: attach E to the cookie's profile; E becomes its key.
          target = { ...cookieProfile, email }
          putProfile(target)
          changes.merges.push({
            survivorId: target.id,
            absorbedId: null,
            reason: 'email_attached',
            identifierKind: 'email',
            identifier: email,
            rawId,
          })
        } else if (emailRow.profileId === cookieProfile.id) {
          target = cookieProfile
        } else {
          // Rule 3b: E is known elsewhere; the anonymous profile merges into E's.
          target = absorb(profileOf(emailRow.profileId), cookieProfile)
          changes.merges.push({
            survivorId: target.id,
            absorbedId: cookieProfile.id,
            reason: 'email_match',
            identifierKind: 'email',
            identifier: email,
            rawId,
          })
        }
        setIdentity('cookie', o.cookie, target.id, o.observedAt)
      } else {
        // Rule 3c: the cookie already belongs to an identified person.
        target = emailRow ? profileOf(emailRow.profileId) : createProfile(email)
        const from = cookieRow.profileId
        if (cookieMovesHere && from !== target.id) {
          setIdentity('cookie', o.cookie, target.id, o.observedAt)
          changes.merges.push({
            survivorId: target.id,
            absorbedId: from,
            reason: 'cookie_moved',
            identifierKind: 'cookie',
            identifier: o.cookie,
            rawId,
          })
        } else {
          // An older login: the cookie stays with its latest login's person.
          const currentRow = current ? identities.get(identityKey('email', current.email)) : undefined
          setIdentity('cookie', o.cookie, currentRow?.profileId ?? from, o.observedAt)
        }
        // At the same millisecond too: an anonymous observation at the login's time is the login's.
        const lateLogin = cookieRow.lastSeen >= o.observedAt
        if (lateLogin && priorLogins.some((l) => l.email !== email)) {
          // Observations after this login may change hands: rebuild every person involved.
          changes.rebuild.add(email)
          for (const l of priorLogins) changes.rebuild.add(l.email)
        }
      }
      setIdentity('email', email, target.id, o.observedAt)
    }

    const folded = applyObservation(target, o, source)
    putProfile(folded)
    changes.resolvedTo.set(rawId, folded.id)
  }

  // Absorbed profile ids keep resolving to their survivors.
  for (const { id, into } of changes.absorbed) {
    const finalInto = resolveChain(changes.absorbed, into)
    setIdentity('profile', id, finalInto, options.now)
  }
  for (const [rawId, profileId] of changes.resolvedTo) {
    changes.resolvedTo.set(rawId, resolveChain(changes.absorbed, profileId))
  }
  return changes
}

function resolveChain(absorbed: ReadonlyArray<{ id: string; into: string }>, id: string): string {
  let current = id
  for (let hops = 0; hops <= absorbed.length; hops++) {
    const next = absorbed.find((a) => a.id === current)
    if (!next) return current
    current = next.into
  }
  return current
}
