// The identity rules as a pure function: loaded state + a batch → changes.
import { describe, expect, it } from 'vitest'
import type { Observation } from '../../domain/types.ts'
import { type BatchObservation, resolveBatch } from './resolve-batch.ts'
import { identityKey, refusedLinkKey, type ResolveState } from '../../domain/identity.ts'

let ids = 0
const options = () => ({ newProfileId: () => `prof_${++ids}`, now: 1000 })
const empty = (): ResolveState => ({ identities: new Map(), logins: new Map(), profiles: new Map() })
let raw = 0
function obs(cookie: string, email: string | null, at: number, extra: Partial<Observation> = {}): BatchObservation {
  return { observation: { cookie, email, observedAt: at, fields: {}, interests: [], traits: {}, ...extra }, rawId: ++raw, source: 'api' }
}

/** Applies a batch's changes to a state, as the store would. */
function apply(state: ResolveState, batch: BatchObservation[]): ResolveState {
  const changes = resolveBatch(state, batch, options())
  const next: ResolveState = { identities: new Map(state.identities), logins: new Map(state.logins), profiles: new Map(state.profiles) }
  for (const { id } of changes.absorbed) next.profiles.delete(id)
  for (const [id, p] of changes.profiles) next.profiles.set(id, p)
  for (const [key, row] of changes.identities) next.identities.set(key, row)
  for (const l of changes.logins) next.logins.set(l.cookie, [...(next.logins.get(l.cookie) ?? []), { email: l.email, at: l.at }])
  return next
}
const owner = (state: ResolveState, kind: 'cookie' | 'email' | 'profile', value: string) => state.identities.get(identityKey(kind, value))?.profileId

describe('resolveBatch', () => {
  it('rules 1–2: keys a visitor by cookie; a known cookie updates its profile', () => {
    let s = apply(empty(), [obs('c1', null, 1, { fields: { city: 'Austin' } })])
    const id = owner(s, 'cookie', 'c1')
    s = apply(s, [obs('c1', null, 2, { fields: { city: 'Boston' } })])
    expect(owner(s, 'cookie', 'c1')).toBe(id)
    expect(s.profiles.get(id as string)?.fields.city).toBe('Boston')
    expect(s.profiles.size).toBe(1)
  })

  it('rule 3a: attaches a new email to an anonymous profile', () => {
    let s = apply(empty(), [obs('c1', null, 1)])
    const id = owner(s, 'cookie', 'c1')
    const changes = resolveBatch(s, [obs('c1', 'e@x.org', 2)], options())
    expect(changes.merges).toEqual([expect.objectContaining({ reason: 'email_attached', survivorId: id })])
    s = apply(s, [obs('c1', 'e@x.org', 2)])
    expect(owner(s, 'email', 'e@x.org')).toBe(id)
    expect(s.profiles.get(id as string)?.email).toBe('e@x.org')
  })

  it('rule 3b: merges an anonymous profile into the email owner and keeps the old id resolving', () => {
    let s = apply(empty(), [obs('c1', 'e@x.org', 1), obs('c2', null, 2, { interests: ['golf'] })])
    const survivor = owner(s, 'email', 'e@x.org') as string
    const absorbed = owner(s, 'cookie', 'c2') as string
    const changes = resolveBatch(s, [obs('c2', 'e@x.org', 3)], options())
    expect(changes.absorbed).toEqual([{ id: absorbed, into: survivor }])
    expect(changes.identities.get(identityKey('profile', absorbed))?.profileId).toBe(survivor)
    s = apply(s, [obs('c2', 'e@x.org', 3)])
    expect(owner(s, 'cookie', 'c2')).toBe(survivor)
    expect([...(s.profiles.get(survivor)?.interests.keys() ?? [])]).toEqual(['golf'])
  })

  it('rule 3c: moves a cookie to the newest login and leaves the other person whole', () => {
    let s = apply(empty(), [obs('c1', 'a@x.org', 1, { interests: ['yoga'] })])
    s = apply(s, [obs('c1', 'b@x.org', 2)])
    const a = owner(s, 'email', 'a@x.org')
    const b = owner(s, 'email', 'b@x.org')
    expect(a).not.toBe(b)
    expect(owner(s, 'cookie', 'c1')).toBe(b)
    expect([...(s.profiles.get(a as string)?.interests.keys() ?? [])]).toEqual(['yoga'])
  })

  it('keeps the cookie with the newer login when an older one arrives late, and asks for a rebuild', () => {
    let s = apply(empty(), [obs('c1', 'b@x.org', 10), obs('c1', null, 12)])
    const changes = resolveBatch(s, [obs('c1', 'a@x.org', 5)], options())
    expect(changes.rebuild).toEqual(new Set(['a@x.org', 'b@x.org']))
    s = apply(s, [obs('c1', 'a@x.org', 5)])
    expect(owner(s, 'cookie', 'c1')).toBe(owner(s, 'email', 'b@x.org'))
  })

  it('gives one batch the same people whatever the order of its records', () => {
    const batch = [obs('c1', null, 1, { interests: ['golf'] }), obs('c2', 'e@x.org', 2), obs('c1', 'e@x.org', 3), obs('c3', null, 4)]
    const people = (s: ResolveState) =>
      [...s.profiles.values()].map((p) => `${p.email}:${[...p.interests.keys()].join(',')}:${[...s.identities.values()].filter((r) => r.kind === 'cookie' && r.profileId === p.id).map((r) => r.value).sort().join(',')}`).sort()
    expect(people(apply(empty(), [...batch].reverse()))).toEqual(people(apply(empty(), batch)))
  })

  describe('rule 5: refusals', () => {
    /** The cookie counts the store would load for the state's profiles. */
    const withCounts = (state: ResolveState, refused: string[][] = []): ResolveState => {
      const cookieCounts = new Map<string, number>()
      for (const row of state.identities.values()) if (row.kind === 'cookie' && !row.value.startsWith('uid:')) cookieCounts.set(row.profileId, (cookieCounts.get(row.profileId) ?? 0) + 1)
      return { ...state, cookieCounts, refused: new Set(refused.map(([c, e]) => refusedLinkKey(c as string, e as string))) }
    }

    it('applies a record with a refused (cookie, email) pair to the email’s person as if it had no cookie', () => {
      const s = apply(empty(), [obs('c1', null, 1), obs('c2', 'e@x.org', 2)])
      const anonymous = owner(s, 'cookie', 'c1') as string
      const person = owner(s, 'email', 'e@x.org') as string
      const changes = resolveBatch(withCounts(s, [['c1', 'e@x.org']]), [obs('c1', 'e@x.org', 3, { interests: ['golf'] })], options())
      expect(changes.merges).toEqual([expect.objectContaining({ reason: 'refused', survivorId: person, identifier: 'c1', detail: { rule: 'refused_link' } })])
      expect(changes.logins).toEqual([])
      expect(changes.absorbed).toEqual([])
      expect(changes.identities.has(identityKey('cookie', 'c1'))).toBe(false)
      expect([...(changes.profiles.get(person)?.interests.keys() ?? [])]).toEqual(['golf'])
      expect(changes.profiles.has(anonymous)).toBe(false)
    })

    it('gives a new cookie whose link is refused an anonymous profile of its own, so that it resolves', () => {
      const changes = resolveBatch(withCounts(empty(), [['c9', 'e@x.org']]), [obs('c9', 'e@x.org', 1, { interests: ['golf'] })], options())
      const person = [...changes.profiles.values()].find((p) => p.email === 'e@x.org')
      const own = changes.identities.get(identityKey('cookie', 'c9'))?.profileId
      expect(own).toBeDefined()
      expect(own).not.toBe(person?.id)
      expect(changes.profiles.get(own as string)?.email).toBeNull()
      // The record is the email's person's.
      expect([...(person?.interests.keys() ?? [])]).toEqual(['golf'])
      expect(changes.merges.map((m) => m.reason)).toEqual(['refused'])
    })

    it('refuses a cookie past the per-person limit, counting the cookies the batch itself adds', () => {
      const limits = { maxCookiesPerPerson: 2 }
      const s = apply(empty(), [obs('c1', 'e@x.org', 1)])
      const person = owner(s, 'email', 'e@x.org') as string
      const changes = resolveBatch(withCounts(s), [obs('c2', 'e@x.org', 2), obs('c3', 'e@x.org', 3, { fields: { city: 'Lyon' } })], { ...options(), limits })
      expect(changes.identities.get(identityKey('cookie', 'c2'))?.profileId).toBe(person)
      expect(changes.identities.get(identityKey('cookie', 'c3'))?.profileId).not.toBe(person)
      expect(changes.logins.map((l) => l.cookie)).toEqual(['c2'])
      expect(changes.merges.filter((m) => m.reason === 'refused')).toEqual([expect.objectContaining({ identifier: 'c3', detail: { rule: 'cookie_limit', limit: 2 } })])
      // The record's data is the person's all the same.
      expect(changes.profiles.get(person)?.fields.city).toBe('Lyon')
    })

    it('counts an anonymous profile’s cookies into the survivor when it merges (rule 3b)', () => {
      const limits = { maxCookiesPerPerson: 1 }
      const s = apply(empty(), [obs('c1', 'e@x.org', 1), obs('c2', null, 2)])
      const changes = resolveBatch(withCounts(s), [obs('c2', 'e@x.org', 3)], { ...options(), limits })
      expect(changes.absorbed).toEqual([])
      expect(changes.merges.map((m) => m.detail)).toEqual([{ rule: 'cookie_limit', limit: 1 }])
    })

    it('does not count "uid:" keys, which stand for a userId and not a device', () => {
      const limits = { maxCookiesPerPerson: 1 }
      const s = apply(empty(), [obs('uid:42', 'e@x.org', 1)])
      const changes = resolveBatch(withCounts(s), [obs('c1', 'e@x.org', 2)], { ...options(), limits })
      expect(changes.merges.filter((m) => m.reason === 'refused')).toEqual([])
      expect(changes.identities.get(identityKey('cookie', 'c1'))?.profileId).toBe(owner(s, 'email', 'e@x.org'))
    })
  })

  describe('rule 6: a shared device', () => {
    const limits = { sharedDeviceEmails: 2 }
    const batch = () => [
      obs('c', 'a@x.org', 10),
      obs('c', null, 15, { interests: ['golf'] }),
      obs('c', 'b@x.org', 20),
      obs('c', 'c@x.org', 30),
      obs('c', null, 35, { interests: ['chess'] }),
      obs('c', 'd@x.org', 40),
      obs('c', null, 45, { interests: ['yoga'] }),
    ]
    const people = (changes: ReturnType<typeof resolveBatch>) => {
      const cookies = (id: string) => [...changes.identities.values()].filter((r) => r.kind === 'cookie' && r.profileId === id).map((r) => r.value).sort()
      return [...changes.profiles.values()].map((p) => `${p.email}|${[...p.interests.keys()].sort().join(',')}|${cookies(p.id).join(',')}`).sort()
    }

    it('keeps anonymous observations from the login that made it shared on its own profile; logins still move the cookie', () => {
      const changes = resolveBatch(empty(), batch(), { ...options(), limits })
      expect(people(changes)).toEqual(['a@x.org|golf|', 'b@x.org||', 'c@x.org||', 'd@x.org||c', 'null|chess,yoga|shared:c'])
      expect(changes.merges.filter((m) => m.reason === 'refused')).toEqual([expect.objectContaining({ identifier: 'c', detail: { rule: 'shared_device', emails: 3, limit: 2 } })])
    })

    it('decides the same whatever the order of the records', () => {
      expect(people(resolveBatch(empty(), [...batch()].reverse(), { ...options(), limits }))).toEqual(people(resolveBatch(empty(), batch(), { ...options(), limits })))
    })

    it('is off below the limit: the timeline places every anonymous observation', () => {
      const changes = resolveBatch(empty(), batch(), { ...options(), limits: { sharedDeviceEmails: 5 } })
      expect(people(changes)).toEqual(['a@x.org|golf|', 'b@x.org||', 'c@x.org|chess|', 'd@x.org|yoga|c'])
    })
  })
})