import { describe, expect, it } from 'vitest'
import { coOccurrenceWeight, combineWeights, findLikelyMatches, type OwnedSighting } from './likely-match.ts'

const WINDOW = 30 * 60_000
const UA = 'Mozilla/5.0 (iPhone)'
const MIN = 60_000

function seen(profileId: string, at: number, overrides: Partial<OwnedSighting> = {}): OwnedSighting {
  return { cookie: `c-${profileId}`, profileId, anonymous: true, ip: '198.51.100.1', userAgent: UA, at, ...overrides }
}

describe('likely matches', () => {
  it('links two anonymous profiles on one IP and user agent within the window, once per slot', () => {
    const matches = findLikelyMatches([seen('a', 0), seen('b', 2 * MIN), seen('b', 3 * MIN)], { windowMs: WINDOW })
    expect(matches).toHaveLength(1)
    expect(matches[0]).toMatchObject({ profileIds: ['a', 'b'], count: 1, firstAt: 0 })
    expect(matches[0]?.evidence[0]).toMatchObject({ cookies: ['c-a', 'c-b'], gapMs: 2 * MIN, othersSameUserAgent: 0, othersSameIp: 0 })
  })

  it('finds nothing across user agents, beyond the window, within one profile, or with an identified profile', () => {
    expect(findLikelyMatches([seen('a', 0), seen('b', 0, { userAgent: 'other' })], { windowMs: WINDOW })).toEqual([])
    expect(findLikelyMatches([seen('a', 0), seen('b', WINDOW + 1)], { windowMs: WINDOW })).toEqual([])
    expect(findLikelyMatches([seen('a', 0), seen('a', MIN, { cookie: 'second' })], { windowMs: WINDOW })).toEqual([])
    expect(findLikelyMatches([seen('a', 0), seen('b', MIN, { anonymous: false })], { windowMs: WINDOW })).toEqual([])
  })

  it('grows with distinct co-occurrences and never reaches 1', () => {
    const days = (n: number) => Array.from({ length: n }, (_, d) => [seen('a', d * 86_400_000), seen('b', d * 86_400_000 + MIN)]).flat()
    const [one, three, many] = [1, 3, 40].map((n) => findLikelyMatches(days(n), { windowMs: WINDOW })[0]?.confidence ?? 0) as [number, number, number]
    expect(three).toBeGreaterThan(one)
    expect(many).toBeGreaterThan(three)
    expect(many).toBeLessThan(1)
  })

  it('weighs closeness in time, a crowd on the same user agent, and a crowd behind the address', () => {
    const base = { gapMs: 0, windowMs: WINDOW, othersSameUserAgent: 0, othersSameIp: 0 }
    expect(coOccurrenceWeight({ ...base, gapMs: 25 * MIN })).toBeLessThan(coOccurrenceWeight(base))
    expect(coOccurrenceWeight({ ...base, othersSameUserAgent: 5, othersSameIp: 5 })).toBeLessThan(coOccurrenceWeight(base) / 5)
    expect(coOccurrenceWeight({ ...base, othersSameIp: 40 })).toBeLessThan(coOccurrenceWeight(base))
    // Identified profiles count in the crowd, though they are never a side of a link.
    const crowded = findLikelyMatches([seen('a', 0), seen('b', MIN), seen('k', MIN, { anonymous: false })], { windowMs: WINDOW })
    expect(crowded[0]?.evidence[0]?.othersSameUserAgent).toBe(1)
  })

  it('combines independent evidence as 1 − Π(1 − q)', () => {
    expect(combineWeights([0.5, 0.5])).toBeCloseTo(0.75)
    expect(combineWeights([])).toBe(0)
  })

  it('does not depend on the order sightings are read in', () => {
    const sightings = [seen('a', 0), seen('b', MIN), seen('c', 3 * MIN), seen('a', 86_400_000), seen('c', 86_400_000 + 5 * MIN), seen('d', 4 * MIN, { ip: '203.0.113.9' })]
    const forward = findLikelyMatches(sightings, { windowMs: WINDOW })
    expect(findLikelyMatches([...sightings].reverse(), { windowMs: WINDOW })).toEqual(forward)
  })
})
