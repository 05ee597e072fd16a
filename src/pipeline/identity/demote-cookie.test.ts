import { describe, expect, it } from 'vitest'
import { identitySettings, parseLimit, UNLIMITED } from '../../domain/identifier-kinds.ts'
import { demoteCookies } from './demote-cookie.ts'
import type { BatchObservation } from './resolve-batch.ts'

let rawId = 0
function record(cookie: string, userId: string, at: number, email: string | null = null): BatchObservation {
  return { observation: { cookie, email, observedAt: at, fields: {}, interests: [], traits: {}, identifiers: [{ kind: 'user_id', value: userId }] }, rawId: ++rawId, source: 'test' }
}
const settings = (userIds: string) => identitySettings({ cookieLimit: UNLIMITED, userIdLimit: parseLimit(userIds), declared: [], blocked: [] })
const none = { cookieOwners: new Map<string, string>(), held: new Map() }

describe('demoting the cookie for a user id past its limit', () => {
  it('keys a second user id on one browser by that user id, whatever the order the records came in', () => {
    const batch = [record('c', 'u1', 1), record('c', 'u2', 2), record('c', 'u1', 3)]
    for (const order of [batch, [...batch].reverse()]) {
      const { items, demoted } = demoteCookies(order, { settings: settings('1'), ...none })
      expect(items.map((i) => `${i.observation.cookie}@${i.observation.observedAt}`).sort()).toEqual(['c@1', 'c@3', 'uid:u2@2'])
      expect(demoted).toEqual([expect.objectContaining({ cookie: 'c', userId: 'u2', limit: 1 })])
    }
  })

  it('counts the user ids the cookie’s person already holds, within the window', () => {
    const stored = { cookieOwners: new Map([['c', 'prof_1']]), held: new Map([['prof_1', [{ kind: 'user_id', value: 'u0', firstSeen: 0 }]]]) }
    expect(demoteCookies([record('c', 'u1', 10)], { settings: settings('1'), ...stored }).demoted).toHaveLength(1)
    // Per day: u0 was linked more than a day before.
    expect(demoteCookies([record('c', 'u1', 2 * 86_400_000)], { settings: settings('1/day'), ...stored }).demoted).toEqual([])
    expect(demoteCookies([record('c', 'u0', 10)], { settings: settings('1'), ...stored }).demoted).toEqual([])
  })

  it('leaves a record with an email alone (the email keys the person; the user id is demoted later)', () => {
    expect(demoteCookies([record('c', 'u1', 1), record('c', 'u2', 2, 'a@example.org')], { settings: settings('1'), ...none }).demoted).toEqual([])
  })
})
