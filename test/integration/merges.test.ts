// Merge history, unmerge, manual merge and the identity guardrails, through the real HTTP API.
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

let counter = 0
const cookie = (name: string) => `${name}-${++counter}`
const email = (name: string) => `${name}.${++counter}@example.org`
const at = (minute: number) => new Date(Date.UTC(2024, 0, 15, 10, minute)).toISOString()

interface MergeJson {
  id: number
  reason: string
  survivor_id: string
  absorbed_id: string | null
  identifier: string
  raw_record: { id: number; source: string } | null
  detail: Record<string, unknown> | null
}

async function merges(query: Record<string, string>): Promise<MergeJson[]> {
  const r = await t.app.inject({ method: 'GET', url: '/api/user/merges', query, headers: t.auth('read') })
  expect(r.statusCode, r.body).toBe(200)
  return r.json().merges
}

async function post(url: string, payload: unknown, scope: 'admin' | 'read' = 'admin') {
  const r = await t.app.inject({ method: 'POST', url, headers: { ...t.auth(scope), 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
  return { status: r.statusCode, body: r.json() }
}

async function profileOf(query: Record<string, string>) {
  const r = await t.user(query)
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body.user_profile
}

describe('OpenAPI', () => {
  it('documents every identity route with its schema', async () => {
    const paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths
    expect(paths['/api/user/merges'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cookie', 'device_id', 'email', 'identifier', 'phone', 'profile_id', 'user_id'])
    expect(paths['/api/user/unmerge'].post.requestBody).toBeDefined()
    expect(paths['/api/user/merge'].post.responses['200']).toBeDefined()
    expect(paths['/api/user/refused-links'].delete.summary).toContain('refused')
  })
})

describe('merge history', () => {
  it('lists the merges of a merged person with their raw record ids and rules', async () => {
    const [anon, e] = [cookie('anon'), email('jane')]
    await t.ingest([{ cookie: anon, interests: ['golf'], timestamp: at(1) }])
    const anonymous = await profileOf({ cookie: anon })
    await t.ingest([{ cookie: cookie('first'), email: e, timestamp: at(2) }])
    await t.ingest([{ cookie: anon, email: e, timestamp: at(3) }])
    const log = await merges({ email: e })
    const match = log.find((m) => m.reason === 'email_match')
    expect(match).toMatchObject({ absorbed_id: anonymous.profile_id, identifier: e, raw_record: { source: 'api' } })
    const raw = await direct.reader.selectFrom('raw_records').select(['cookie', 'email']).where('id', '=', match?.raw_record?.id as number).executeTakeFirstOrThrow()
    expect(raw).toEqual({ cookie: anon, email: e })
    // Looked up by the absorbed profile id, the same history.
    expect((await merges({ profile_id: anonymous.profile_id })).map((m) => m.id)).toEqual(log.map((m) => m.id))
  })

  it('answers 404 for an unknown person and 400 without one', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/user/merges?email=nobody@example.org', headers: t.auth('read') })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: '/api/user/merges', headers: t.auth('read') })).statusCode).toBe(400)
  })
})

describe('unmerge', () => {
  it('splits an email_match merge back into the two people, keeping both ids, and refuses the link afterwards', async () => {
    const [ca, cb, eb] = [cookie('a'), cookie('b'), email('bob')]
    await t.ingest([{ cookie: ca, location: { city: 'Austin' }, interests: ['golf'], timestamp: at(1) }])
    const a = await profileOf({ cookie: ca })
    await t.ingest([{ cookie: cb, email: eb, location: { city: 'Boston' }, timestamp: at(2) }])
    const b = await profileOf({ email: eb })
    await t.ingest([{ cookie: ca, email: eb, timestamp: at(3) }])
    expect((await profileOf({ cookie: ca })).profile_id).toBe(b.profile_id)
    const match = (await merges({ email: eb })).find((m) => m.reason === 'email_match') as MergeJson

    expect((await post('/api/user/unmerge', { merge_id: match.id }, 'read')).status).toBe(403)
    const r = await post('/api/user/unmerge', { merge_id: match.id })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body.refused).toEqual([{ cookie: ca, email: eb }])
    expect(r.body.profiles.map((p: { profile_id: string }) => p.profile_id)).toEqual([b.profile_id, a.profile_id])

    const splitA = await profileOf({ cookie: ca })
    const splitB = await profileOf({ email: eb })
    expect(splitA.profile_id).toBe(a.profile_id)
    expect(splitA.email).toBeNull()
    expect(splitA.location_detail.city).toBe('Austin')
    expect(splitA.interests).toEqual(['golf'])
    expect(splitB.profile_id).toBe(b.profile_id)
    expect(splitB.cookies).toEqual([cb])
    expect(splitB.location_detail.city).toBe('Boston')
    expect(splitB.interests).toEqual([])
    // The absorbed id is a profile of its own again, not an alias of the survivor.
    expect(await direct.reader.selectFrom('identities').select('profile_id').where('kind', '=', 'profile').where('value', '=', a.profile_id).execute()).toEqual([])

    // The same link again is refused, and the refusal is on the history.
    await t.ingest([{ cookie: ca, email: eb, plan: 'pro', timestamp: at(4) }])
    expect((await profileOf({ cookie: ca })).profile_id).toBe(a.profile_id)
    expect((await profileOf({ email: eb })).traits).toEqual({ plan: 'pro' })
    const log = await merges({ email: eb })
    expect(log.map((m) => m.reason)).toEqual(expect.arrayContaining(['email_match', 'unmerged', 'refused']))
    expect(log.find((m) => m.reason === 'refused')?.detail).toEqual({ rule: 'refused_link' })
    expect(log.find((m) => m.reason === 'unmerged')?.detail).toMatchObject({ merge_id: match.id })

    // Undoing it twice is a conflict; an admin may allow the link again.
    expect((await post('/api/user/unmerge', { merge_id: match.id })).status).toBe(409)
    const allow = await t.app.inject({ method: 'DELETE', url: '/api/user/refused-links', headers: t.auth('admin'), payload: { cookie: ca, email: eb } })
    expect(allow.statusCode).toBe(204)
    await t.ingest([{ cookie: ca, email: eb, timestamp: at(5) }])
    expect((await profileOf({ cookie: ca })).profile_id).toBe(b.profile_id)
  })

  it('undoes an email attached to an anonymous profile: the email keeps the profile, the cookie starts again', async () => {
    const [c, e] = [cookie('att'), email('att')]
    await t.ingest([{ cookie: c, interests: ['golf'], timestamp: at(1) }])
    const anonymous = await profileOf({ cookie: c })
    await t.ingest([{ cookie: c, email: e, location: { city: 'Oslo' }, timestamp: at(2) }])
    const attached = (await merges({ email: e })).find((m) => m.reason === 'email_attached') as MergeJson
    const r = await post('/api/user/unmerge', { merge_id: attached.id })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    const person = await profileOf({ email: e })
    expect(person.profile_id).toBe(anonymous.profile_id)
    expect(person.cookies).toEqual([])
    expect(person.location_detail.city).toBe('Oslo')
    expect(person.interests).toEqual([])
    const visitor = await profileOf({ cookie: c })
    expect(visitor.profile_id).not.toBe(person.profile_id)
    expect(visitor.email).toBeNull()
    expect(visitor.interests).toEqual(['golf'])
  })

  it('undoes a cookie move: the cookie goes back to its earlier login’s person', async () => {
    const [shared, e1, e2] = [cookie('moved'), email('first'), email('second')]
    await t.ingest([{ cookie: shared, email: e1, timestamp: at(1) }])
    await t.ingest([{ cookie: shared, interests: ['golf'], timestamp: at(2) }])
    await t.ingest([{ cookie: shared, email: e2, location: { city: 'Rome' }, timestamp: at(3) }])
    await t.ingest([{ cookie: shared, interests: ['chess'], timestamp: at(4) }])
    const first = await profileOf({ email: e1 })
    const second = await profileOf({ email: e2 })
    expect(second.cookies).toEqual([shared])
    expect(second.interests).toEqual(['chess'])
    const moved = (await merges({ email: e2 })).find((m) => m.reason === 'cookie_moved') as MergeJson
    const r = await post('/api/user/unmerge', { merge_id: moved.id })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body.refused).toEqual([{ cookie: shared, email: e2 }])
    const back = await profileOf({ cookie: shared })
    expect(back.profile_id).toBe(first.profile_id)
    expect(back.interests.sort()).toEqual(['chess', 'golf'])
    const rest = await profileOf({ email: e2 })
    expect(rest.profile_id).toBe(second.profile_id)
    expect(rest.cookies).toEqual([])
    expect(rest.location_detail.city).toBe('Rome')
    expect(rest.interests).toEqual([])
  })

  it('detaches one cookie from a person: its anonymous history becomes a person of its own', async () => {
    const [c1, c2, e] = [cookie('d1'), cookie('d2'), email('dee')]
    await t.ingest([{ cookie: c1, email: e, timestamp: at(1) }])
    await t.ingest([{ cookie: c2, interests: ['chess'], timestamp: at(2) }])
    await t.ingest([{ cookie: c2, email: e, timestamp: at(3) }])
    expect((await profileOf({ email: e })).cookies.sort()).toEqual([c1, c2].sort())
    const r = await post('/api/user/unmerge', { email: e, detach: { cookie: c2 } })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    const person = await profileOf({ email: e })
    expect(person.cookies).toEqual([c1])
    expect(person.interests).toEqual([])
    const detached = await profileOf({ cookie: c2 })
    expect(detached.profile_id).not.toBe(person.profile_id)
    expect(detached.interests).toEqual(['chess'])
    expect((await post('/api/user/unmerge', { email: e, detach: { cookie: 'never-seen' } })).status).toBe(400)
  })
})

describe('manual merge', () => {
  it('joins two emails’ profiles; either email then answers with the one profile', async () => {
    const [e1, e2] = [email('one'), email('two')]
    await t.ingest([{ cookie: cookie('m1'), email: e1, location: { city: 'Lyon' }, timestamp: at(1) }])
    await t.ingest([{ cookie: cookie('m2'), email: e2, interests: ['golf'], timestamp: at(2) }])
    const into = await profileOf({ email: e2 })
    const r = await post('/api/user/merge', { from: { email: e1 }, into: { email: e2 } })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body.profile.profile_id).toBe(into.profile_id)
    const p1 = await profileOf({ email: e1 })
    const p2 = await profileOf({ email: e2 })
    expect(p1.profile_id).toBe(into.profile_id)
    expect(p2.profile_id).toBe(into.profile_id)
    expect(p2.location_detail.city).toBe('Lyon')
    expect(p2.interests).toEqual(['golf'])
    const manual = (await merges({ email: e1 })).find((m) => m.reason === 'manual')
    expect(manual?.detail).toMatchObject({ by: expect.any(String) })
    expect((await post('/api/user/merge', { from: { email: e1 }, into: { email: e2 } })).status).toBe(409)

    // And it can be undone: the rebuild separates them, the absorbed email gets its id back.
    const before = manual as MergeJson
    const undo = await post('/api/user/unmerge', { merge_id: before.id })
    expect(undo.status, JSON.stringify(undo.body)).toBe(200)
    const again1 = await profileOf({ email: e1 })
    expect(again1.profile_id).toBe(before.absorbed_id)
    expect(again1.interests).toEqual([])
    expect((await profileOf({ email: e2 })).location_detail.city).toBeNull()
  })
})

describe('guardrails', () => {
  // Limits are off by default (an email joins every cookie); these are configured ones.
  let limited: TestApp
  beforeAll(async () => {
    limited = await createTestApp({ CDP_MAX_COOKIES_PER_PERSON: '10', CDP_MAX_USER_IDS_PER_PERSON: '3' })
  })
  afterAll(async () => {
    await limited.close()
  })

  it('refuses the 11th cookie logging in with one email under a limit of 10, records it, and gives the cookie a profile of its own', async () => {
    const t = limited
    const direct = await openDatabase(limited.database.config)
    const merges = async (query: Record<string, string>) => (await t.app.inject({ method: 'GET', url: '/api/user/merges', query, headers: t.auth('read') })).json().merges as MergeJson[]
    const profileOf = async (query: Record<string, string>) => (await t.user(query)).body.user_profile
    const e = email('many')
    const cookies = Array.from({ length: 11 }, (_, i) => cookie(`g${i}`))
    for (const [i, c] of cookies.entries()) await t.ingest([{ cookie: c, email: e, timestamp: at(i + 1) }])
    const p = await profileOf({ email: e })
    expect(p.cookies).toHaveLength(10)
    expect(p.cookies).not.toContain(cookies[10])
    const refusal = (await merges({ email: e })).find((m) => m.reason === 'refused')
    expect(refusal).toMatchObject({ identifier: cookies[10], detail: { rule: 'cookie_limit', limit: 10 } })
    const logins = await direct.reader.selectFrom('logins').select('email').where('cookie', '=', cookies[10] as string).execute()
    expect(logins).toEqual([])
    await direct.close()
    // Every identifier of an accepted record resolves: the refused cookie to a profile of its own.
    const own = await profileOf({ cookie: cookies[10] as string })
    expect(own.profile_id).not.toBe(p.profile_id)
    expect(own.email).toBeNull()
  })

  it('links at most 3 userIds to one person under a limit of 3; a 4th demotes the browser’s cookie, so its record goes to that user id’s own person', async () => {
    const t = limited
    const merges = async (query: Record<string, string>) => (await t.app.inject({ method: 'GET', url: '/api/user/merges', query, headers: t.auth('read') })).json().merges as MergeJson[]
    const profileOf = async (query: Record<string, string>) => (await t.user(query)).body.user_profile
    const anon = cookie('users')
    const ids = Array.from({ length: 4 }, (_, i) => `user-${counter}-${i}`)
    for (const [i, userId] of ids.entries()) {
      const r = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: JSON.stringify({ anonymousId: anon, userId, timestamp: at(i + 1), messageId: `${anon}-${i}` }) })
      expect(r.statusCode, r.body).toBe(200)
    }
    const person = await profileOf({ cookie: anon })
    for (const userId of ids.slice(0, 3)) expect((await profileOf({ user_id: userId })).profile_id).toBe(person.profile_id)
    expect((await profileOf({ user_id: ids[3] as string })).profile_id).not.toBe(person.profile_id)
    const refusal = (await merges({ cookie: anon })).find((m) => m.reason === 'refused')
    expect(refusal).toMatchObject({ identifier: anon, identifier_kind: 'cookie', detail: { rule: 'user_id_limit', limit: 3, demoted: 'cookie', user_id: ids[3] } })
    expect((await profileOf({ cookie: anon })).profile_id).toBe(person.profile_id)
  })

  it('treats a cookie seen with more than 5 emails as a shared device: logins move it, its anonymous browsing is nobody’s', async () => {
    const device = cookie('family')
    const emails = Array.from({ length: 6 }, (_, i) => email(`fam${i}`))
    await t.ingest([{ cookie: device, interests: ['golf'], timestamp: at(0) }])
    for (const [i, e] of emails.entries()) await t.ingest([{ cookie: device, email: e, timestamp: at(10 + i) }])
    await t.ingest([{ cookie: device, interests: ['chess'], timestamp: at(30) }])
    const newest = await profileOf({ email: emails[5] as string })
    expect((await profileOf({ cookie: device })).profile_id).toBe(newest.profile_id)
    expect(newest.interests).toEqual([])
    const own = await profileOf({ cookie: `shared:${device}` })
    expect(own.email).toBeNull()
    expect(own.interests).toEqual(['chess'])
    // Browsing before the first login is still the first person's.
    expect((await profileOf({ email: emails[0] as string })).interests).toEqual(['golf'])
    expect((await merges({ cookie: `shared:${device}` })).find((m) => m.reason === 'refused')?.detail).toEqual({ rule: 'shared_device', emails: 6, limit: 5 })
  })
})