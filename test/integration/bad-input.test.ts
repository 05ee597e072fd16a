// Bad input gets a clear 4xx in the error envelope, never a 5xx, and never costs a valid neighbour:
// NUL characters and lone surrogates, nesting past 64 levels, numbers past what a column holds,
// Fastify's own errors, and stored rows the database cannot read during a segment backfill.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'
import { backend } from '../helpers/db.ts'

let t: TestApp
/** A second connection, to store what the API no longer accepts (rows written before the bounds). */
let direct: SqlDatabase
const logged: string[] = []

beforeAll(async () => {
  t = await createTestApp({}, { log: (message) => logged.push(message) })
  direct = await openDatabase(t.database.config)
})

afterAll(async () => {
  await direct.close()
  await t.close()
})

const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n)
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)

function post(url: string, payload: string, contentType = 'application/json') {
  return t.app.inject({ method: 'POST', url, headers: { ...t.auth('ingest'), 'content-type': contentType }, payload })
}

function get(url: string) {
  return t.app.inject({ method: 'GET', url, headers: t.auth('admin') })
}

function preview(conditions: unknown) {
  return t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: t.auth('admin'), payload: { conditions } as object })
}

function expectEnvelope(response: { statusCode: number; body: string; json: () => unknown }, status: number, code: string): string {
  expect(response.statusCode, response.body).toBe(status)
  const body = response.json() as { error: { code: string; message: string; request_id: string } }
  expect(body.error.code).toBe(code)
  expect(body.error.request_id).toMatch(/^req_/)
  expect(Object.keys(body)).toEqual(['error'])
  return body.error.message
}

async function rawPayloads(source: string): Promise<unknown[]> {
  const r = await get(`/api/raw?source=${source}&limit=1000`)
  expect(r.statusCode, r.body).toBe(200)
  return (r.json() as { records: Array<{ payload: unknown }> }).records.map((x) => x.payload)
}

describe('NUL characters and lone surrogates', () => {
  it('stores a record with NUL in its strings as U+FFFD, keeps its neighbour and its raw payload exactly', async () => {
    const bad = { cookie: 'nul-cookie\u0000', city: 'Pa\u0000ris', plan: 'a\u0000b', ['k\u0000ey']: ['x\u0000', { deep: '\ud800' }] }
    const r = await post('/api/ingest?source=nul', JSON.stringify([{ cookie: 'nul-neighbour', email: 'nul-neighbour@example.com' }, bad]))
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json()).toMatchObject({ status: 'success', records_failed: 0 })

    expect((await t.user({ email: 'nul-neighbour@example.com' })).status).toBe(200)
    const stored = await t.user({ cookie: 'nul-cookie\uFFFD' })
    expect(stored.status).toBe(200)
    expect(stored.body.user_profile.location_detail.city).toBe('Pa\uFFFDris')
    expect(stored.body.user_profile.traits).toMatchObject({ plan: 'a\uFFFDb', 'k\uFFFDey': ['x\uFFFD', { deep: '\uFFFD' }] })
    // The raw store keeps the record as received, NUL and all.
    expect(await rawPayloads('nul')).toContainEqual(bad)
  })

  it('keeps traits and event properties with NUL queryable by segment previews', async () => {
    const batch = {
      batch: [
        { type: 'track', anonymousId: 'nul-anon-ok', event: 'Viewed', properties: { plan: 'ok' } },
        { type: 'track', anonymousId: 'nul-anon\u0000', event: 'Vie\u0000wed', properties: { plan: 'x\u0000y' } },
        { type: 'identify', anonymousId: 'nul-anon-2', traits: { plan: 'x\u0000y' } },
      ],
    }
    const r = await post('/v1/batch', JSON.stringify(batch))
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json()).toMatchObject({ accepted: 3, rejected: 0 })

    const byTrait = await preview({ field: 'trait.plan', op: 'starts_with', value: 'x' })
    expect(byTrait.statusCode, byTrait.body).toBe(200)
    expect(byTrait.json().count).toBeGreaterThanOrEqual(1)
    const byEvent = await preview({ event: 'Vie\uFFFDwed', where: [{ property: 'plan', op: 'eq', value: 'x\uFFFDy' }] })
    expect(byEvent.statusCode, byEvent.body).toBe(200)
    expect(byEvent.json().count).toBe(1)

    const events = await t.app.inject({ method: 'GET', url: '/api/events', query: { cookie: 'nul-anon\uFFFD' }, headers: t.auth('read') })
    expect(events.statusCode, events.body).toBe(200)
    expect(events.json().events[0]).toMatchObject({ name: 'Vie\uFFFDwed' })
  })

  it('stores an NDJSON line holding a raw NUL byte as an unparseable record whose text comes back exactly', async () => {
    const line = '{"cookie":"raw\u0000nul"}'
    const r = await post('/api/ingest?source=ndnul', `{"cookie":"ndnul-neighbour"}\n${line}\n`, 'application/x-ndjson')
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json()).toMatchObject({ status: 'partial', records_failed: 1, errors: [{ record: 1, reason: 'unparseable' }] })
    expect((await t.user({ cookie: 'ndnul-neighbour' })).status).toBe(200)
    expect(await rawPayloads('ndnul')).toContain(line)
  })

  it('answers 400 for NUL in a query parameter, a path parameter or a JSON body', async () => {
    expect(expectEnvelope(await get('/api/user?email=%00'), 400, 'invalid_input')).toContain('querystring.email')
    expectEnvelope(await get('/api/events?cookie=x&name=%00'), 400, 'invalid_input')
    expect(expectEnvelope(await get('/api/segments/%00'), 400, 'invalid_input')).toContain('params.id')
    const body = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: { name: 'n\u0000', conditions: { field: 'age', op: 'gte', value: 1 } } })
    expect(expectEnvelope(body, 400, 'invalid_input')).toContain('body.name')
  })
})

describe('nesting depth', () => {
  it('fails a record nested deeper than 64 levels alone and keeps its neighbours (JSON, NDJSON, /v1/batch)', async () => {
    const json = await post('/api/ingest?source=deep', `[{"cookie":"deep-ok-1"},{"cookie":"deep-1","x":${deepArray(3100)}},{"cookie":"deep-2","y":${deepObject(2100)}}]`)
    expect(json.statusCode, json.body).toBe(200)
    expect(json.json()).toMatchObject({ status: 'partial', records_failed: 2, errors: [{ record: 1, reason: 'too_deep' }, { record: 2, reason: 'too_deep' }] })
    expect(json.json().errors[0].message).toContain('nested deeper than 64 levels at x[0][0]')
    expect((await t.user({ cookie: 'deep-ok-1' })).status).toBe(200)
    // Kept as received, even though no recursive JSON.stringify could write it.
    const payloads = (await rawPayloads('deep')) as Array<{ cookie: string }>
    expect(payloads.map((p) => p.cookie).sort()).toEqual(['deep-1', 'deep-2', 'deep-ok-1'])

    const ndjson = await post('/api/ingest', `{"cookie":"deep-ok-2"}\n{"cookie":"deep-3","x":${deepArray(3100)}}\n`, 'application/x-ndjson')
    expect(ndjson.json()).toMatchObject({ records_failed: 1, errors: [{ record: 1, reason: 'too_deep' }] })
    expect((await t.user({ cookie: 'deep-ok-2' })).status).toBe(200)

    const v1 = await post('/v1/batch', `{"batch":[{"type":"track","anonymousId":"deep-ok-3","event":"E"},{"type":"track","anonymousId":"deep-4","event":"E","properties":{"x":${deepArray(4200)}}}]}`)
    expect(v1.statusCode, v1.body).toBe(200)
    expect(v1.json()).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, reason: 'too_deep' }] })
    expect((await t.user({ cookie: 'deep-ok-3' })).status).toBe(200)
  })

  it('answers 400 for a single over-deep message or a deep body on the other routes', async () => {
    const track = await post('/v1/track', `{"anonymousId":"deep-5","event":"E","properties":{"x":${deepObject(5000)}}}`)
    expect(expectEnvelope(track, 400, 'invalid_input')).toContain('nested deeper than 64 levels at properties.x.a')
    const body = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload: `{"conditions":${deepObject(3000)}}` })
    expect(expectEnvelope(body, 400, 'invalid_input')).toContain('body.conditions.a')
    const csv = await post('/api/ingest', `cookie,${Array.from({ length: 70 }, () => 'a').join('.')}\nc,1\n`, 'text/csv')
    expect(expectEnvelope(csv, 400, 'invalid_input')).toContain('at most 63 dotted parts')
  })

  it('refuses a trait nested 1,001 deep, so previews over traits keep working on SQLite', async () => {
    const r = await post('/api/ingest', `[{"cookie":"deep-trait","plan":"pro","t":${deepArray(1001)}}]`)
    expect(r.json()).toMatchObject({ records_failed: 1, errors: [{ reason: 'too_deep' }] })
    const p = await preview({ field: 'trait.plan', op: 'eq', value: 'pro' })
    expect(p.statusCode, p.body).toBe(200)
  })

  it('accepts 64 levels', async () => {
    const r = await post('/api/ingest', `[{"cookie":"deep-64","t":${deepArray(63)}}]`)
    expect(r.json()).toMatchObject({ status: 'success' })
  })
})

describe('5xx found by fuzzing the API', () => {
  it('answers 400 for offsets and ids past what a column holds', async () => {
    expect(expectEnvelope(await get('/api/cohort/users?cohort=Travel&offset=1e309'), 400, 'invalid_input')).toContain('querystring.offset')
    expectEnvelope(await get('/api/cohort/users?cohort=Travel&offset=99999999999999999999'), 400, 'invalid_input')
    expectEnvelope(await get('/api/raw?after_id=99999999999999999999999'), 400, 'invalid_input')
  })

  it('previews a starts_with trait condition whose value holds quote, backslash and percent', async () => {
    await t.ingest([{ cookie: 'quote-1', plan: "'\\%pro" }])
    const r = await preview({ field: 'trait.plan', op: 'starts_with', value: "'\\%" })
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json().count).toBe(1)
  })

  it('answers Fastify’s own errors in the envelope', async () => {
    expect(expectEnvelope(await get(`/api/segments/${'a'.repeat(3000)}`), 414, 'uri_too_long')).toContain('too long')
    expectEnvelope(await get('/api/nowhere'), 404, 'not_found')
    expectEnvelope(await get('/api/segments/%E0%A4%A'), 400, 'invalid_input')
    const badJson = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload: '{bad' })
    expectEnvelope(badJson, 400, 'invalid_input')
    const xml = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: { ...t.auth('admin'), 'content-type': 'text/xml' }, payload: '<a/>' })
    expectEnvelope(xml, 415, 'unsupported_media_type')
  })

  it('names the allowed values of an enum and what was sent', async () => {
    expect(expectEnvelope(await get('/api/raw?status=x'), 400, 'invalid_input')).toBe('querystring.status must be one of: accepted, rejected, superseded (got "x")')
  })
})

describe('prototype keys', () => {
  it('keeps a trait named __proto__ as a trait and pollutes nothing', async () => {
    const r = await post('/api/ingest', '[{"cookie":"proto-1","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}]')
    expect(r.json()).toMatchObject({ status: 'success' })
    const traits = (await t.user({ cookie: 'proto-1' })).body.user_profile.traits
    expect(Object.hasOwn(traits, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(traits, '__proto__')?.value).toEqual({ polluted: 1 })
    expect(traits.constructor).toEqual({ prototype: { polluted: 1 } })
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })
})

describe('segment backfill over a row the database cannot read', () => {
  it('skips the row, logs and counts it, and evaluates the rest', async () => {
    await t.ingest([{ cookie: 'bf-1', tier: 'gold' }, { cookie: 'bf-bad', tier: 'gold' }, { cookie: 'bf-2', tier: 'gold' }])
    const badId = (await t.user({ cookie: 'bf-bad' })).body.user_profile.profile_id
    // What older versions stored: past SQLite's JSON depth; on PostgreSQL, \u0000 that jsonb refuses.
    const traits = backend === 'sqlite' ? `{"tier":"gold","t":${deepArray(1001)}}` : '{"tier":"gold","t":"\\u0000"}'
    await sql`update profiles set traits = ${traits} where id = ${badId}`.execute(direct.db)

    const created = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: { name: 'Gold', conditions: { field: 'trait.tier', op: 'eq', value: 'gold' } } })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const result = await t.runtime.segments.backfill(id)
    expect(result.skipped).toBe(1)
    expect(logged.some((m) => m.includes(`skipped profile ${badId}`))).toBe(true)

    const segment = await get(`/api/segments/${id}`)
    expect(segment.json()).toMatchObject({ state: 'ready', members: 2 })
  })
})
