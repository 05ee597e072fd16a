// The unmerge promise, as a property: for random histories of two people, merging them through one
// linking record and then unmerging along that merge, or detaching the linking cookie, leaves the same two people (attributes,
// interests, consent and its history, cohorts, segments, events) as ingesting each person's records alone.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

// One store for the merged history, one per person alone; each run uses its own identifiers.
let merged: TestApp
let aloneA: TestApp
let aloneB: TestApp
let direct: SqlDatabase

const SEGMENTS = [
  { name: 'Parisians', conditions: { field: 'city', op: 'eq', value: 'Paris' } },
  { name: 'Thirty plus', conditions: { field: 'age', op: 'gte', value: 30 } },
]

beforeAll(async () => {
  ;[merged, aloneA, aloneB] = [await createTestApp(), await createTestApp(), await createTestApp()]
  direct = await openDatabase(merged.database.config)
  for (const app of [merged, aloneA, aloneB]) {
    for (const segment of SEGMENTS) {
      const r = await app.app.inject({ method: 'POST', url: '/api/segments', headers: app.auth('admin'), payload: segment })
      expect(r.statusCode, r.body).toBe(201)
    }
  }
})

afterAll(async () => {
  await direct.close()
  for (const app of [merged, aloneA, aloneB]) await app.close()
})

const T0 = Date.parse('2026-03-01T00:00:00Z')
const iso = (second: number) => new Date(T0 + second * 1000).toISOString()

const CITIES = ['Paris', 'Lyon', 'Austin']
const INTERESTS = ['golf', 'running shoes', 'knitting', 'chess']

interface Item {
  kind: 'record' | 'event'
  at: number
  city: string | null
  age: number | null
  interests: string[]
  event: string
  category: string | null
  n: number
  consent: boolean | null
}

const itemArb = (from: number, to: number) =>
  fc.record({
    kind: fc.constantFrom<'record' | 'event'>('record', 'event'),
    at: fc.integer({ min: from, max: to }),
    city: fc.option(fc.constantFrom(...CITIES), { nil: null }),
    age: fc.option(fc.integer({ min: 18, max: 60 }), { nil: null }),
    interests: fc.subarray(INTERESTS, { maxLength: 2 }),
    event: fc.constantFrom('Viewed', 'Added'),
    category: fc.option(fc.constantFrom('golf', 'chess'), { nil: null }),
    n: fc.integer({ min: 0, max: 9 }),
    consent: fc.option(fc.boolean(), { nil: null }),
  })

const historyArb = fc.record({
  a: fc.array(itemArb(0, 3000), { minLength: 1, maxLength: 6 }),
  b: fc.array(itemArb(1000, 2000), { minLength: 1, maxLength: 6 }),
  linkShare: fc.double({ min: 0, max: 1, noNaN: true }),
})

async function send(app: TestApp, person: { cookie: string; email: string | null }, items: Item[], run: string) {
  const records = items.filter((i) => i.kind === 'record')
  const events = items.filter((i) => i.kind === 'event')
  if (records.length > 0) {
    const body = records.map((i) => ({
      cookie: person.cookie,
      ...(person.email ? { email: person.email } : {}),
      ...(i.city ? { location: { city: i.city } } : {}),
      ...(i.age !== null ? { demographics: { age: i.age } } : {}),
      interests: i.interests,
      ...(i.consent !== null ? { consent: { marketing_email: i.consent } } : {}),
      timestamp: iso(i.at),
    }))
    const r = await app.ingest(body)
    expect(r.status, JSON.stringify(r.body)).toBe(200)
  }
  if (events.length > 0) {
    const batch = events.map((i, k) => ({
      type: 'track',
      anonymousId: person.cookie,
      event: i.event,
      properties: { n: i.n, ...(i.category ? { category: i.category } : {}) },
      ...(person.email ? { context: { traits: { email: person.email } } } : {}),
      timestamp: iso(i.at),
      messageId: `${run}-${person.cookie}-${k}`,
    }))
    const r = await app.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...app.auth('ingest'), 'content-type': 'application/json' }, payload: JSON.stringify({ batch }) })
    expect(r.statusCode, r.body).toBe(200)
  }
}

/** What must match, ids aside. */
async function personOf(app: TestApp, query: Record<string, string>) {
  const r = await app.app.inject({ method: 'GET', url: '/api/user', query: { ...query, events: '1000', consent_history: '1' }, headers: app.auth('read') })
  expect(r.statusCode, r.body).toBe(200)
  const p = r.json().user_profile
  return {
    email: p.email,
    location: p.location_detail,
    demographics: { age: p.demographics.age },
    traits: p.traits,
    interests: [...p.interests].sort(),
    cohorts: [...p.cohorts].sort(),
    segments: p.segments.map((s: { name: string }) => s.name).sort(),
    consent: p.consent,
    consentHistory: p.consent_history.map((c: { purpose: string; granted: boolean; at: string }) => `${c.at} ${c.purpose} ${c.granted}`).sort(),
    events: p.events
      .map((e: { name: string; properties: unknown; timestamp: string }) => JSON.stringify([e.timestamp, e.name, e.properties]))
      .sort(),
  }
}

let runs = 0

/** Profiles no identifier reaches (an alias of an absorbed id aside): an unmerge must leave none. */
async function unreachable(): Promise<string[]> {
  const rows = await direct.reader
    .selectFrom('profiles')
    .select('id')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('identities').select('identities.kind').whereRef('identities.profile_id', '=', 'profiles.id').where('identities.kind', '!=', 'profile'))))
    .execute()
  return rows.map((r) => r.id)
}

describe('unmerge and detach', () => {
  for (const mode of ['unmerge', 'detach'] as const) {
    it(`merging two people and ${mode === 'unmerge' ? 'unmerging them' : "detaching the linking cookie"} gives each person as if ingested alone`, async () => {
      await fc.assert(
        fc.asyncProperty(historyArb, async ({ a, b, linkShare }) => {
          const run = `${mode}${++runs}`
          const A = { cookie: `${run}-cA`, email: null }
          const B = { cookie: `${run}-cB`, email: `${run}.b@example.org` }
          const times = b.map((i) => i.at)
          const linkAt = Math.round(Math.min(...times) + linkShare * (Math.max(...times) - Math.min(...times)))

          await send(aloneA, A, a, run)
          await send(aloneB, B, b, run)
          await send(merged, A, a, run)
          await send(merged, B, b, run)
          const link = await merged.ingest([{ cookie: A.cookie, email: B.email, timestamp: iso(linkAt) }])
          expect(link.status).toBe(200)
          const before = await personOf(merged, { cookie: A.cookie })
          expect(before.email).toBe(B.email)

          const historyResponse = await merged.app.inject({ method: 'GET', url: '/api/user/merges', query: { email: B.email }, headers: merged.auth('read') })
          const match = historyResponse.json().merges.find((m: { reason: string; identifier: string }) => m.reason === 'email_match' && m.identifier === B.email)
          expect(match, historyResponse.body).toBeDefined()
          const request = mode === 'unmerge' ? { merge_id: match.id } : { email: B.email, detach: { cookie: A.cookie } }
          const unmerge = await merged.app.inject({ method: 'POST', url: '/api/user/unmerge', headers: merged.auth('admin'), payload: request })
          expect(unmerge.statusCode, unmerge.body).toBe(200)
          if (mode === 'unmerge') {
            const [survivor, splitOff] = unmerge.json().profiles as Array<{ profile_id: string }>
            expect(survivor?.profile_id).toBe(match.survivor_id)
            expect(splitOff?.profile_id).toBe(match.absorbed_id)
          }

          expect(await personOf(merged, { cookie: A.cookie })).toEqual(await personOf(aloneA, { cookie: A.cookie }))
          expect(await personOf(merged, { email: B.email })).toEqual(await personOf(aloneB, { email: B.email }))
          expect(await unreachable()).toEqual([])

          // The survivor's memberships were diffed, not dropped and re-added: no segment both left and entered.
          const reason = mode === 'unmerge' ? `unmerge of merge ${match.id}` : `cookie ${A.cookie} detached`
          const changes = await direct.reader.selectFrom('segment_changes').select(['segment_id', 'change']).where('profile_id', '=', match.survivor_id).where('reason', '=', reason).execute()
          expect(new Set(changes.map((c) => c.segment_id)).size).toBe(changes.length)
        }),
        { numRuns: 8, seed: 12 },
      )
    }, 120_000)
  }
})
