// Every identity rule of issue #2, through the real HTTP API and the real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ CDP_EMAIL_BLOCKLIST: 'placeholder@corp.example' })
})
afterAll(async () => t.close())

let counter = 0
/** A unique cookie per call so that tests sharing the database never collide. */
const cookie = (name: string) => `${name}-${++counter}-${Date.now().toString(36)}`
const email = (name: string) => `${name}.${++counter}.${Date.now().toString(36)}@example.org`
const at = (minute: number) => new Date(Date.UTC(2024, 0, 15, 10, minute)).toISOString()

async function profileOf(query: Record<string, string>) {
  const r = await t.user(query)
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body.user_profile
}

describe('rule 1: a cookie is mandatory; without an email the profile is keyed by its cookie', () => {
  it('rejects a record without a cookie and names the field, keeping its neighbours', async () => {
    const c = cookie('ok')
    const r = await t.ingest([{ email: email('x'), interests: ['golf'] }, { cookie: c }, { cookie: '  ' }])
    expect(r.status).toBe(200)
    expect(r.body.status).toBe('partial')
    expect(r.body.records_processed).toBe(3)
    expect(r.body.records_failed).toBe(2)
    expect(r.body.errors.map((e) => [e.record, e.field])).toEqual([
      [0, 'cookie'],
      [2, 'cookie'],
    ])
    expect((await profileOf({ cookie: c })).email).toBeNull()
  })

  it('keys an anonymous visitor by cookie', async () => {
    const c = cookie('anon')
    await t.ingest({ cookie: c, location: { city: 'Austin' } })
    const p = await profileOf({ cookie: c })
    expect(p.cookie).toBe(c)
    expect(p.cookies).toEqual([c])
    expect(p.email).toBeNull()
    expect(p.location_detail.city).toBe('Austin')
  })
})

describe('rule 2: a known cookie updates its profile; a new cookie creates one', () => {
  it('updates the same profile for a known cookie', async () => {
    const c = cookie('known')
    await t.ingest({ cookie: c, demographics: { age: 30 }, timestamp: at(1) })
    const first = await profileOf({ cookie: c })
    await t.ingest({ cookie: c, demographics: { age: 31 }, timestamp: at(2) })
    const second = await profileOf({ cookie: c })
    expect(second.profile_id).toBe(first.profile_id)
    expect(second.demographics.age).toBe(31)
  })

  it('creates a separate profile for a new cookie', async () => {
    const a = cookie('a')
    const b = cookie('b')
    await t.ingest([{ cookie: a }, { cookie: b }])
    expect((await profileOf({ cookie: a })).profile_id).not.toBe((await profileOf({ cookie: b })).profile_id)
  })
})

describe('rule 3a: a new email on an anonymous cookie is attached and becomes the key', () => {
  it('attaches the email to the cookie profile', async () => {
    const c = cookie('reg')
    const e = email('reg')
    await t.ingest({ cookie: c, interests: ['tennis'], timestamp: at(1) })
    const before = await profileOf({ cookie: c })
    await t.ingest({ cookie: c, email: e, timestamp: at(2) })
    const after = await profileOf({ email: e })
    expect(after.profile_id).toBe(before.profile_id)
    expect(after.email).toBe(e)
    expect(after.interests).toContain('tennis')
    const log = await t.runtime.store.listMerges(after.profile_id)
    expect(log.map((m) => m.reason)).toContain('email_attached')
  })
})

describe('rule 3b: an email known on another profile merges the two', () => {
  it('merges, keeps every cookie, and the absorbed profile id still resolves', async () => {
    const phoneCookie = cookie('phone')
    const laptopCookie = cookie('laptop')
    const e = email('merge')
    await t.ingest({ cookie: phoneCookie, email: e, interests: ['tom brady'], timestamp: at(1) })
    await t.ingest({ cookie: laptopCookie, interests: ['nike shoes'], location: { city: 'Brooklyn' }, timestamp: at(2) })
    const anonymous = await profileOf({ cookie: laptopCookie })
    const identified = await profileOf({ email: e })
    expect(anonymous.profile_id).not.toBe(identified.profile_id)

    await t.ingest({ cookie: laptopCookie, email: `  ${e.toUpperCase()} `, timestamp: at(3) })
    const merged = await profileOf({ email: e })
    expect(merged.profile_id).toBe(identified.profile_id)
    expect(new Set(merged.cookies)).toEqual(new Set([phoneCookie, laptopCookie]))
    expect(merged.cookie).toBe(laptopCookie) // the most recently seen
    expect(new Set(merged.interests)).toEqual(new Set(['tom brady', 'nike shoes']))
    expect(merged.location_detail.city).toBe('Brooklyn')
    expect(merged.cohorts).toEqual(expect.arrayContaining(['Sports', 'Fashion']))

    // No lookup 404s because of a merge.
    expect((await profileOf({ cookie: phoneCookie })).profile_id).toBe(merged.profile_id)
    expect((await profileOf({ cookie: laptopCookie })).profile_id).toBe(merged.profile_id)
    expect((await profileOf({ profile_id: anonymous.profile_id })).profile_id).toBe(merged.profile_id)

    const log = await t.runtime.store.listMerges(merged.profile_id)
    expect(log).toContainEqual(expect.objectContaining({ reason: 'email_match', absorbedId: anonymous.profile_id, identifier: e }))
  })

  it('merges in any arrival order to the same person', async () => {
    const c1 = cookie('o1')
    const c2 = cookie('o2')
    const e = email('order')
    // The login arrives before the anonymous browsing it follows.
    await t.ingest({ cookie: c2, email: e, timestamp: at(5) })
    await t.ingest({ cookie: c2, interests: ['sushi'], timestamp: at(1) })
    await t.ingest({ cookie: c1, email: e, timestamp: at(3) })
    const p = await profileOf({ email: e })
    expect(new Set(p.cookies)).toEqual(new Set([c1, c2]))
    expect(p.interests).toEqual(['sushi'])
  })
})

describe('rule 3c: a cookie with another email moves to the newest login (shared device)', () => {
  it('moves the cookie; the first person keeps their own history', async () => {
    const shared = cookie('shared')
    const alice = email('alice')
    const bob = email('bob')
    await t.ingest({ cookie: shared, email: alice, interests: ['yoga'], demographics: { age: 30 }, timestamp: at(1) })
    await t.ingest({ cookie: shared, email: bob, interests: ['fortnite'], timestamp: at(2) })
    const a = await profileOf({ email: alice })
    const b = await profileOf({ email: bob })
    expect(a.profile_id).not.toBe(b.profile_id)
    expect(a.interests).toEqual(['yoga'])
    expect(a.demographics.age).toBe(30)
    expect(b.interests).toEqual(['fortnite'])
    expect((await profileOf({ cookie: shared })).profile_id).toBe(b.profile_id)
    const log = await t.runtime.store.listMerges(b.profile_id)
    expect(log).toContainEqual(expect.objectContaining({ reason: 'cookie_moved', identifier: shared, absorbedId: a.profile_id }))

    // Anonymous browsing after Bob's login is Bob's.
    await t.ingest({ cookie: shared, interests: ['minecraft'], timestamp: at(3) })
    expect((await profileOf({ email: bob })).interests).toEqual(expect.arrayContaining(['minecraft']))
    expect((await profileOf({ email: alice })).interests).toEqual(['yoga'])
  })

  it('an older login arriving late does not take the cookie back, and hands back what it owns', async () => {
    const shared = cookie('late')
    const carol = email('carol')
    const dave = email('dave')
    await t.ingest({ cookie: shared, email: dave, timestamp: at(10) })
    await t.ingest({ cookie: shared, interests: ['golf'], timestamp: at(6) }) // before any login: Dave's for now
    await t.ingest({ cookie: shared, interests: ['chess'], timestamp: at(12) }) // after Dave's login
    // Carol's login at minute 5 arrives last: the cookie stays with Dave (his login is newer), and
    // the browsing between her login and Dave's (golf, minute 6) becomes hers.
    await t.ingest({ cookie: shared, email: carol, timestamp: at(5) })
    expect((await profileOf({ cookie: shared })).email).toBe(dave)
    expect((await profileOf({ email: carol })).interests).toEqual(['golf'])
    expect((await profileOf({ email: dave })).interests).toEqual(['chess'])
  })
})

describe('rule 4: attributes merge latest-wins by observation time', () => {
  it('keeps the value with the latest timestamp, whatever the arrival order', async () => {
    const c = cookie('lw')
    await t.ingest({ cookie: c, location: { city: 'Boston' }, timestamp: at(9) })
    await t.ingest({ cookie: c, location: { city: 'Denver' }, demographics: { gender: 'f' }, timestamp: at(4) })
    const p = await profileOf({ cookie: c })
    expect(p.location_detail.city).toBe('Boston')
    expect(p.demographics.gender).toBe('female') // only the older record had it
    expect(p.first_seen).toBe(at(4))
  })

  it('breaks ties deterministically, never by arrival order', async () => {
    const c1 = cookie('tie1')
    const c2 = cookie('tie2')
    await t.ingest([{ cookie: c1, location: { city: 'Austin' }, timestamp: at(1) }])
    await t.ingest([{ cookie: c1, location: { city: 'Dallas' }, timestamp: at(1) }])
    await t.ingest([{ cookie: c2, location: { city: 'Dallas' }, timestamp: at(1) }])
    await t.ingest([{ cookie: c2, location: { city: 'Austin' }, timestamp: at(1) }])
    expect((await profileOf({ cookie: c1 })).location_detail.city).toBe((await profileOf({ cookie: c2 })).location_detail.city)
  })
})

describe('rule 5: emails are normalized; invalid and junk identifiers never merge', () => {
  it('matches emails case- and whitespace-insensitively', async () => {
    const e = email('Case')
    const c1 = cookie('case1')
    const c2 = cookie('case2')
    await t.ingest({ cookie: c1, email: e.toUpperCase() })
    await t.ingest({ cookie: c2, email: `\t${e} ` })
    const p = await profileOf({ email: e.toLowerCase() })
    expect(new Set(p.cookies)).toEqual(new Set([c1, c2]))
    expect(p.email).toBe(e.toLowerCase())
  })

  it('rejects an invalid email with a field error and never uses it', async () => {
    const c = cookie('bad')
    const r = await t.ingest({ cookie: c, email: 'bob@' })
    expect(r.body.status).toBe('failed')
    expect(r.body.errors[0]).toMatchObject({ record: 0, field: 'email' })
    expect(r.body.errors[0]?.message).toContain('bob@')
    expect((await t.user({ cookie: c })).status).toBe(404)
  })

  it.each(['null', 'undefined', '0', '', 'test@test.com', 'placeholder@corp.example'])('never merges on junk email %j', async (junk) => {
    const c1 = cookie('junk1')
    const c2 = cookie('junk2')
    await t.ingest([
      { cookie: c1, email: junk },
      { cookie: c2, email: junk },
    ])
    const p1 = await profileOf({ cookie: c1 })
    const p2 = await profileOf({ cookie: c2 })
    expect(p1.profile_id).not.toBe(p2.profile_id)
    expect(p1.email).toBeNull()
  })
})

describe('cohorts are current once ingest answers', () => {
  it('puts Tom Brady in Sports and Nike shoes in Fashion', async () => {
    const c = cookie('cohort')
    await t.ingest({ cookie: c, interests: ['Tom Brady'] })
    const p = await profileOf({ cookie: c })
    expect(p.cohorts).toContain('Sports')
    expect(p.cohorts).not.toContain('Entertainment')
    const page = await t.app.inject({ method: 'GET', url: '/api/cohort/users?cohort=sports&limit=1000', headers: t.auth('read') })
    expect(page.json().users.map((u: { profile_id: string }) => u.profile_id)).toContain(p.profile_id)

    const c2 = cookie('fashion')
    await t.ingest({ cookie: c2, interests: ['Nike shoes'] })
    expect((await profileOf({ cookie: c2 })).cohorts[0]).toBe('Fashion')
  })
})
