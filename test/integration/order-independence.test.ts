// Rule 7: ingesting the same records in any order, in any batches, yields the same people.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type UserProfile } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => t.close())

const COOKIES = ['c0', 'c1', 'c2', 'c3']
const EMAILS = ['e0@x.org', 'e1@x.org', 'e2@x.org']

interface Spec {
  cookie: string
  email: string | null
  minute: number
  city: string | null
  age: number | null
  interests: string[]
}

const specArbitrary: fc.Arbitrary<Spec> = fc.record({
  cookie: fc.constantFrom(...COOKIES),
  email: fc.option(fc.constantFrom(...EMAILS), { nil: null, freq: 2 }),
  minute: fc.integer({ min: 0, max: 6 }),
  city: fc.option(fc.constantFrom('Austin', 'Boston', 'Chicago'), { nil: null }),
  age: fc.option(fc.integer({ min: 20, max: 25 }), { nil: null }),
  interests: fc.subarray(['golf', 'sushi', 'chess', 'tom brady']),
})

/** Records of one run: identifiers carry the run's namespace so that runs share one database. */
function toRecord(spec: Spec, run: string, index: number): Record<string, unknown> {
  return {
    cookie: `${run}-${spec.cookie}`,
    ...(spec.email ? { email: `${run}.${spec.email}` } : {}),
    timestamp: new Date(Date.UTC(2024, 0, 1, 0, spec.minute)).toISOString(),
    ...(spec.city ? { location: { city: spec.city } } : {}),
    ...(spec.age !== null ? { demographics: { age: spec.age } } : {}),
    interests: spec.interests,
    record_no: index, // makes every record distinct, so none is skipped as a duplicate
  }
}

/** The people of a run, without ids and namespace: comparable across runs. */
async function peopleOf(run: string): Promise<string[]> {
  const seen = new Map<string, UserProfile>()
  for (const c of COOKIES) {
    const r = await t.user({ cookie: `${run}-${c}` })
    if (r.status === 200) seen.set(r.body.user_profile.profile_id, r.body.user_profile)
  }
  for (const e of EMAILS) {
    const r = await t.user({ email: `${run}.${e}` })
    if (r.status === 200) seen.set(r.body.user_profile.profile_id, r.body.user_profile)
  }
  const strip = (s: string | null) => (s === null ? null : s.slice(run.length + 1))
  return [...seen.values()]
    .map((p) =>
      JSON.stringify({
        email: strip(p.email),
        cookies: p.cookies.map(strip).sort(),
        city: p.location_detail.city,
        age: p.demographics.age,
        interests: [...p.interests].sort(),
        cohorts: [...p.cohorts].sort(),
        first_seen: p.first_seen,
        last_seen: p.last_seen,
      }),
    )
    .sort()
}

/** Splits a list into consecutive batches at the given cut points. */
function batches<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b)
  const out: T[][] = []
  let start = 0
  for (const p of [...points, items.length]) {
    if (p > start) out.push(items.slice(start, p))
    start = Math.max(start, p)
  }
  return out
}

let runs = 0
describe(`order independence (${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('yields the same people for any permutation and batching of the same records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArbitrary, { minLength: 1, maxLength: 9 }),
        fc.func(fc.integer()),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (specs, shuffleKey, cutsA, cutsB) => {
          const runA = `a${++runs}`
          const runB = `b${runs}`
          const indexed = specs.map((spec, index) => ({ spec, index }))
          const shuffled = [...indexed].sort((x, y) => shuffleKey(x.index) - shuffleKey(y.index) || y.index - x.index)
          for (const batch of batches(indexed, cutsA)) await t.ingest(batch.map((x) => toRecord(x.spec, runA, x.index)))
          for (const batch of batches(shuffled, cutsB)) await t.ingest(batch.map((x) => toRecord(x.spec, runB, x.index)))
          expect(await peopleOf(runB)).toEqual(await peopleOf(runA))
        },
      ),
      { numRuns: process.env.DATABASE_URL ? 60 : 120, seed: Number(process.env.CDP_PROPERTY_SEED ?? 20261122) },
    )
  })
})
