// The README's identity examples, run as written (the login on a laptop, the merge history, the
// unmerge), and the defects issue #20 found in them: in-batch merges missing from the history,
// unmerge and detach leaving profiles no identifier reaches, and the cookie limit refusing logins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let direct: SqlDatabase
beforeAll(async () => {
  t = await createTestApp()
  direct = await openDatabase(t.database.config)
})
afterAll(async () => {
  await direct.close()
  await t.close()
})

async function ndjson(body: string) {
  const r = await t.app.inject({ method: 'POST', url: '/api/ingest', headers: { ...t.auth('ingest'), 'content-type': 'application/x-ndjson' }, payload: body })
  expect(r.statusCode, r.body).toBe(200)
  return r.json()
}

async function profileOf(query: Record<string, string>) {
  const r = await t.user(query)
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body.user_profile
}

async function merges(query: Record<string, string>) {
  const r = await t.app.inject({ method: 'GET', url: '/api/user/merges', query, headers: t.auth('read') })
  expect(r.statusCode, r.body).toBe(200)
  return r.json().merges as Array<{ id: number; reason: string; identifier: string; absorbed_id: string | null; raw_record: { id: number } | null }>
}

/** Profiles that no cookie, email or alias identity points at: unreachable through the API. */
async function unreachableProfiles(): Promise<string[]> {
  const rows = await direct.reader
    .selectFrom('profiles')
    .select('id')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('identities').select('identities.kind').whereRef('identities.profile_id', '=', 'profiles.id').where('identities.kind', '!=', 'profile'))))
    .execute()
  return rows.map((r) => r.id)
}

describe("the README's login example", () => {
  it('merges the laptop into John, lists the merge, and unmerges it back to a person the laptop cookie reaches', async () => {
    await t.ingest({
      data: {
        cookie: 'abc123', email: 'john.doe@example.com', phone: '+1-555-123-4567',
        location: { city: 'Brooklyn', state: 'New York', country: 'USA' },
        demographics: { age: 35, gender: 'male', income: '$75,000-$100,000', education: "Bachelor's Degree" },
        interests: ['Tom Brady', 'Nike shoes'], timestamp: '2024-01-15T10:30:00Z',
      },
    })
    await ndjson('{"cookie":"laptop-9","interests":["ethereum"]}\n{"cookie":"laptop-9","email":"John.Doe@example.com"}')
    const john = await profileOf({ email: 'john.doe@example.com' })
    expect(john.cookies.sort()).toEqual(['abc123', 'laptop-9'])
    expect(john.interests).toContain('ethereum')

    const log = await merges({ email: 'john.doe@example.com' })
    const laptop = log.find((m) => m.raw_record !== null && m.reason === 'email_match')
    expect(laptop, JSON.stringify(log)).toBeDefined()
    // Run in the README's order on a fresh store, this is the first merge: the README's unmerge names 1.
    expect(laptop?.id).toBe(1)

    const r = await t.app.inject({ method: 'POST', url: '/api/user/unmerge', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload: JSON.stringify({ merge_id: laptop?.id }) })
    expect(r.statusCode, r.body).toBe(200)
    const after = await profileOf({ email: 'john.doe@example.com' })
    expect(after.cookies).toEqual(['abc123'])
    expect(after.interests).not.toContain('ethereum')
    const visitor = await profileOf({ cookie: 'laptop-9' })
    expect(visitor.profile_id).not.toBe(after.profile_id)
    expect(visitor.interests).toEqual(['ethereum'])
    expect(await unreachableProfiles()).toEqual([])
  })
})

describe('detach without orphans', () => {
  it("takes a cookie's anonymous records with the cookie when it first appeared in the login", async () => {
    await t.ingest([{ cookie: 'home-1', email: 'ann@example.org', timestamp: '2024-02-01T10:00:00Z' }])
    await t.ingest([{ cookie: 'tablet-1', email: 'ann@example.org', timestamp: '2024-02-02T10:00:00Z' }])
    await t.ingest([{ cookie: 'tablet-1', location: { city: 'Oslo' }, demographics: { age: 41 }, interests: ['sailing'], timestamp: '2024-02-02T11:00:00Z' }])
    const r = await t.app.inject({ method: 'POST', url: '/api/user/unmerge', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload: JSON.stringify({ email: 'ann@example.org', detach: { cookie: 'tablet-1' } }) })
    expect(r.statusCode, r.body).toBe(200)
    const ann = await profileOf({ email: 'ann@example.org' })
    expect(ann.cookies).toEqual(['home-1'])
    expect(ann.interests).toEqual([])
    const tablet = await profileOf({ cookie: 'tablet-1' })
    expect(tablet.profile_id).not.toBe(ann.profile_id)
    expect(tablet.interests).toEqual(['sailing'])
    expect(tablet.location_detail.city).toBe('Oslo')
    expect(await unreachableProfiles()).toEqual([])
  })
})

describe('detach after an in-batch login', () => {
  it('takes the laptop’s anonymous records, event included, with the cookie; no profile is left unreachable', async () => {
    await t.ingest([{ cookie: 'desk-1', email: 'joan@example.org', timestamp: '2024-03-01T10:00:00Z' }])
    await ndjson('{"cookie":"lap-1","location":{"city":"Lyon"},"demographics":{"age":52},"interests":["ethereum"]}\n{"cookie":"lap-1","email":"Joan@example.org"}')
    const v1 = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...t.auth('ingest'), 'content-type': 'application/json' },
      payload: JSON.stringify({ batch: [{ type: 'track', anonymousId: 'lap-1', event: 'Order Completed', properties: { total: 30 } }] }),
    })
    expect(v1.statusCode, v1.body).toBe(200)
    const joan = await profileOf({ email: 'joan@example.org' })
    expect(joan.cookies.sort()).toEqual(['desk-1', 'lap-1'])
    const r = await t.app.inject({ method: 'POST', url: '/api/user/unmerge', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload: JSON.stringify({ email: 'joan@example.org', detach: { cookie: 'lap-1' } }) })
    expect(r.statusCode, r.body).toBe(200)
    const after = await profileOf({ email: 'joan@example.org' })
    expect(after.cookies).toEqual(['desk-1'])
    expect(after.location_detail.city).toBeNull()
    const laptop = await t.app.inject({ method: 'GET', url: '/api/user', query: { cookie: 'lap-1', events: '10' }, headers: t.auth('read') })
    const visitor = laptop.json().user_profile
    expect(visitor.profile_id).not.toBe(after.profile_id)
    expect(visitor.location_detail.city).toBe('Lyon')
    expect(visitor.demographics.age).toBe(52)
    expect(visitor.events.map((e: { name: string }) => e.name)).toEqual(['Order Completed'])
    expect(await unreachableProfiles()).toEqual([])
  })
})

describe('the default cookie limit', () => {
  it('joins every cookie that logs in with one email, 50 of them', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ cookie: `many-${i}`, email: 'many@example.org', timestamp: new Date(Date.UTC(2024, 2, 1, 0, i)).toISOString() }))
    await t.ingest(records.slice(0, 25))
    for (const r of records.slice(25)) await t.ingest([r])
    const person = await profileOf({ email: 'many@example.org' })
    expect(person.cookies).toHaveLength(50)
    for (const r of records) expect((await profileOf({ cookie: r.cookie })).profile_id).toBe(person.profile_id)
  })
})
