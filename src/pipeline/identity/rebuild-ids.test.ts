// A rebuild's people keep the ids they had.
import { describe, expect, it } from 'vitest'
import { identityKey } from '../../domain/identity.ts'
import { keepPreferredIds } from './rebuild-ids.ts'
import { type BatchObservation, resolveBatch } from './resolve-batch.ts'

let ids = 0
const newProfileId = () => `new_${++ids}`
const obs = (cookie: string, email: string | null, at: number, rawId: number): BatchObservation => ({
  observation: { cookie, email, observedAt: at, fields: {}, interests: [], traits: {} },
  rawId,
  source: 'api',
})
const empty = () => ({ identities: new Map(), logins: new Map(), profiles: new Map() })

describe('keepPreferredIds', () => {
  it('gives each person made again the id its email, else its cookie, had', () => {
    const changes = resolveBatch(empty(), [obs('ca', null, 1, 1), obs('cb', 'b@x.org', 2, 2)], { newProfileId, now: 9 })
    const preferred = new Map([
      [identityKey('email', 'b@x.org'), 'prof_b'],
      [identityKey('cookie', 'ca'), 'prof_a'],
    ])
    const kept = keepPreferredIds(changes, { preferred, previousIds: ['prof_b'], loaded: new Set(), now: 9 })
    expect([...kept.profiles.keys()].sort()).toEqual(['prof_a', 'prof_b'])
    expect(kept.identities.get(identityKey('cookie', 'ca'))?.profileId).toBe('prof_a')
    expect(kept.identities.get(identityKey('email', 'b@x.org'))?.profileId).toBe('prof_b')
    expect(kept.resolvedTo).toEqual(new Map([[1, 'prof_a'], [2, 'prof_b']]))
    expect(kept.merges).toEqual([])
  })

  it('absorbs a previous person not made again into the first that is', () => {
    const changes = resolveBatch(empty(), [obs('cb', 'b@x.org', 2, 2)], { newProfileId, now: 9 })
    const kept = keepPreferredIds(changes, { preferred: new Map([[identityKey('email', 'b@x.org'), 'prof_b']]), previousIds: ['prof_b', 'prof_gone'], loaded: new Set(), now: 9 })
    expect(kept.absorbed).toEqual([{ id: 'prof_gone', into: 'prof_b' }])
    expect(kept.identities.get(identityKey('profile', 'prof_gone'))?.profileId).toBe('prof_b')
  })

  it('never renames a profile that was loaded rather than made', () => {
    const changes = resolveBatch(empty(), [obs('cb', 'b@x.org', 2, 2)], { newProfileId, now: 9 })
    const made = [...changes.profiles.keys()][0] as string
    const kept = keepPreferredIds(changes, { preferred: new Map([[identityKey('email', 'b@x.org'), 'prof_b']]), previousIds: [], loaded: new Set([made]), now: 9 })
    expect([...kept.profiles.keys()]).toEqual([made])
  })
})
