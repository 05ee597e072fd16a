// The identity rules as a pure function: loaded state + a batch → changes.
import { describe, expect, it } from 'vitest'
import type { Observation } from '../../domain/types.ts'
import { type BatchObservation, resolveBatch } from './resolve-batch.ts'
import { identityKey, type ResolveState } from '../../domain/identity.ts'

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
})
