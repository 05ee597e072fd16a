// The merge lattice: a join, so merging is commutative, associative and idempotent, and folding
// observations in any order gives the same profile.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ProfileState } from '../../domain/profile.ts'
import type { Observation } from '../../domain/types.ts'
import { applyObservation, emptyProfile, mergeProfiles } from './merge.ts'

const observation: fc.Arbitrary<Observation> = fc.record({
  cookie: fc.constantFrom('c1', 'c2'),
  email: fc.constant(null),
  observedAt: fc.integer({ min: 0, max: 5 }),
  fields: fc.record(
    { city: fc.constantFrom('Austin', 'Boston', 'Chicago'), state: fc.constantFrom('Texas', 'Ohio'), country: fc.constantFrom('US', 'France'), age: fc.integer({ min: 0, max: 3 }), gender: fc.constantFrom('male', 'female') },
    { requiredKeys: [] },
  ),
  interests: fc.subarray(['golf', 'sushi', 'chess']),
  traits: fc.record({ plan: fc.constantFrom('free', 'pro') }, { requiredKeys: [] }),
  consent: fc.option(fc.record({ analytics: fc.boolean(), marketing_email: fc.boolean() }, { requiredKeys: [] }), { nil: undefined }),
}, { requiredKeys: ['cookie', 'email', 'observedAt', 'fields', 'interests', 'traits'] })

/** An observation with the source that sent it: consent keeps the source, and breaks ties by it. */
const sourced = fc.record({ observation, source: fc.constantFrom('crm', 'web', 'segment') })

function fold(observations: Observation[], id = 'p'): ProfileState {
  return observations.reduce((p, o) => applyObservation(p, o, 'api'), emptyProfile(id, null, 0))
}

/** Everything but identity and bookkeeping, in a comparable form. */
function content(p: ProfileState) {
  return {
    fields: p.fields,
    fieldTimes: p.fieldTimes,
    traits: p.traits,
    interests: [...p.interests.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    consent: Object.entries(p.consent).sort(([a], [b]) => (a < b ? -1 : 1)),
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen,
  }
}

describe('merge', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(fc.array(observation), fc.array(observation), (a, b) => {
        expect(content(mergeProfiles(fold(a, 'a'), fold(b, 'b')))).toEqual(content(mergeProfiles(fold(b, 'b'), fold(a, 'a'))))
      }),
    )
  })

  it('is associative', () => {
    fc.assert(
      fc.property(fc.array(observation), fc.array(observation), fc.array(observation), (a, b, c) => {
        const [pa, pb, pc] = [fold(a, 'a'), fold(b, 'b'), fold(c, 'c')]
        expect(content(mergeProfiles(mergeProfiles(pa, pb), pc))).toEqual(content(mergeProfiles(pa, mergeProfiles(pb, pc))))
      }),
    )
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.array(observation), (a) => {
        const p = fold(a)
        expect(content(mergeProfiles(p, p))).toEqual(content(p))
      }),
    )
  })

  it('folds observations to the same profile in any order, and merging halves equals folding all', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 12 }), fc.nat(), (list, cut) => {
        const reversed = [...list].reverse()
        expect(content(fold(reversed))).toEqual(content(fold(list)))
        const at = list.length === 0 ? 0 : cut % list.length
        expect(content(mergeProfiles(fold(list.slice(0, at)), fold(list.slice(at))))).toEqual(content(fold(list)))
      }),
    )
  })

  it('joins consent per purpose commutatively, associatively and idempotently, whatever the sources', () => {
    const foldSourced = (list: Array<{ observation: Observation; source: string }>, id: string) =>
      list.reduce((p, { observation: o, source }) => applyObservation(p, o, source), emptyProfile(id, null, 0))
    fc.assert(
      fc.property(fc.array(sourced), fc.array(sourced), fc.array(sourced), (a, b, c) => {
        const [pa, pb, pc] = [foldSourced(a, 'a'), foldSourced(b, 'b'), foldSourced(c, 'c')]
        expect(mergeProfiles(pa, pb).consent).toEqual(mergeProfiles(pb, pa).consent)
        expect(mergeProfiles(mergeProfiles(pa, pb), pc).consent).toEqual(mergeProfiles(pa, mergeProfiles(pb, pc)).consent)
        expect(mergeProfiles(pa, pa).consent).toEqual(pa.consent)
        // Arrival order does not matter either: the fold of all equals the merge of the parts.
        expect(foldSourced([...a, ...b].reverse(), 'x').consent).toEqual(mergeProfiles(pa, pb).consent)
      }),
    )
  })

  it('keeps the latest consent statement per purpose; at the same instant a withdrawal wins', () => {
    const granted = (at: number, value: boolean): Observation => ({ cookie: 'c1', email: null, observedAt: at, fields: {}, interests: [], traits: {}, consent: { marketing_email: value } })
    const later = fold([granted(10, false), granted(5, true)])
    expect(later.consent.marketing_email).toEqual({ granted: false, at: 10, source: 'api' })
    const tie = fold([granted(7, true), granted(7, false)])
    expect(tie.consent.marketing_email?.granted).toBe(false)
    expect(fold([granted(7, false), granted(7, true)]).consent.marketing_email?.granted).toBe(false)
  })

  it('keeps the latest value per field and never lets an absent value overwrite a known one', () => {
    const base = { cookie: 'c', email: null, interests: [], traits: {} }
    const p = fold([
      { ...base, observedAt: 5, fields: { city: 'Boston', age: 40 } },
      { ...base, observedAt: 9, fields: { city: 'Denver' } },
      { ...base, observedAt: 7, fields: { city: 'Austin', phone: null } },
    ])
    expect(p.fields).toEqual({ city: 'Denver', state: null, country: null, country_code: null, age: 40 })
    expect(p.firstSeen).toBe(5)
    expect(p.lastSeen).toBe(9)
  })

  it('takes a location as one value: the latest observation of it wins as a whole', () => {
    const base = { cookie: 'c', email: null, interests: [], traits: {} }
    const austin = { ...base, observedAt: 5, fields: { city: 'Austin', state: 'Texas', country: 'United States', country_code: 'US' } }
    const paris = { ...base, observedAt: 9, fields: { city: 'Paris', country: 'France', country_code: 'FR' } }
    const paris2 = { city: 'Paris', state: null, country: 'France', country_code: 'FR' }
    expect(fold([austin, paris]).fields).toEqual(paris2)
    // Arrival order does not matter, and merging two profiles keeps the same rule.
    expect(fold([paris, austin]).fields).toEqual(paris2)
    expect(mergeProfiles(fold([austin], 'a'), fold([paris], 'b')).fields).toEqual(paris2)
    expect(mergeProfiles(fold([paris], 'b'), fold([austin], 'a')).fields).toEqual(paris2)
    // A record that says nothing about the location leaves it alone.
    expect(fold([paris, { ...base, observedAt: 12, fields: { age: 30 } }]).fields).toMatchObject(paris2)
  })

  it('keeps the survivor id and email', () => {
    const survivor = { ...emptyProfile('prof_a', 'a@x.org', 1) }
    const merged = mergeProfiles(survivor, emptyProfile('prof_b', null, 0))
    expect(merged.id).toBe('prof_a')
    expect(merged.email).toBe('a@x.org')
  })
})
