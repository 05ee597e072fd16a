// The HTTP contract: formats, auth, every error path, and the rows each request writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ CDP_MAX_BODY_BYTES: String(64 * 1024) })
})
afterAll(async () => t.close())

const RAW_EXAMPLE = {
  data: {
    cookie: 'abc123',
    email: 'John.Doe@Example.com',
    phone: '+1-555-123-4567',
    location: { city: 'Brooklyn', state: 'New York', country: 'USA' },
    demographics: { age: 35, gender: 'male', income: '$75,000-$100,000', education: "Bachelor's Degree" },
    interests: ['Tom Brady', 'Nike shoes'],
    timestamp: '2024-01-15T10:30:00Z',
  },
}

function expectError(response: { statusCode: number; json(): unknown }, status: number, code: string): string {
  expect(response.statusCode).toBe(status)
  const body = response.json() as { error: { code: string; message: string; request_id: string } }
  expect(body.error.code).toBe(code)
  expect(body.error.request_id).toMatch(/^req_/)
  expect(body.error.message).not.toMatch(/select |insert |\bat .*\.ts:\d+/i)
  return body.error.message
}

const post = (payload: string, contentType: string, key = t.keys.ingest, url = '/api/ingest') =>
  t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, payload })

describe('POST /api/ingest', () => {
  it('accepts the customer raw example and serves it back in the documented shape', async () => {
    const r = await post(JSON.stringify(RAW_EXAMPLE), 'application/json')
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ status: 'success', records_processed: 1, records_failed: 0, errors: [] })
    const user = await t.user({ email: 'john.doe@example.com' })
    expect(user.status).toBe(200)
    expect(user.body.user_profile).toMatchObject({
      cookie: 'abc123',
      cookies: ['abc123'],
      email: 'john.doe@example.com',
      phone_number: '+15551234567',
      location: 'Brooklyn, New York, USA',
      location_detail: { city: 'Brooklyn', state: 'New York', country_code: 'US' },
      demographics: { age: 35, gender: 'male', income: '$75,000-$100,000', education: "Bachelor's Degree" },
      first_seen: '2024-01-15T10:30:00.000Z',
      last_seen: '2024-01-15T10:30:00.000Z',
    })
    expect(user.body.user_profile.interests.sort()).toEqual(['nike shoes', 'tom brady'])
    expect(user.body.user_profile.cohorts).toEqual(expect.arrayContaining(['Sports', 'Fashion']))
    expect(user.body.user_profile.profile_id).toMatch(/^prof_/)
  })

  it('keeps every record exactly as received, with its source and outcome, rejected ones too', async () => {
    const r = await post(JSON.stringify([{ cookie: 'raw-1', extra: { nested: [1, 2] } }, { email: 'no-cookie@example.org' }]), 'application/json', t.keys.ingest, '/api/ingest?source=crm')
    expect(r.json()).toMatchObject({ status: 'partial', records_processed: 2, records_failed: 1 })
    const raw = await t.app.inject({ method: 'GET', url: '/api/raw?source=crm', headers: t.auth('admin') })
    const records = raw.json().records
    expect(records).toHaveLength(2)
    expect(records[0]).toMatchObject({ source: 'crm', status: 'accepted', record_index: 0, payload: { cookie: 'raw-1', extra: { nested: [1, 2] } } })
    expect(records[1]).toMatchObject({ source: 'crm', status: 'rejected', record_index: 1, payload: { email: 'no-cookie@example.org' } })
    expect(records[1].errors[0]).toMatchObject({ field: 'cookie', reason: 'missing_cookie' })
    const rejected = await t.app.inject({ method: 'GET', url: '/api/raw?status=rejected&source=crm', headers: t.auth('admin') })
    expect(rejected.json().records).toHaveLength(1)
  })

  it('accepts NDJSON with CRLF, blank lines and one bad line that fails alone', async () => {
    const body = '{"cookie":"nd-1"}\r\n\r\n{"cookie":"nd-2","interests":"golf|chess"}\r\n{oops\n{"cookie":"nd-3"}\n'
    const r = await post(body, 'application/x-ndjson')
    expect(r.json()).toMatchObject({ status: 'partial', records_processed: 4, records_failed: 1 })
    expect(r.json().errors[0]).toMatchObject({ record: 2 })
    expect(r.json().errors[0].message).toMatch(/line 4/)
    expect((await t.user({ cookie: 'nd-2' })).body.user_profile.interests.sort()).toEqual(['chess', 'golf'])
  })

  it('accepts CSV with nested headers, quoted commas and newlines, a BOM and unicode, numbering rows from 1', async () => {
    const csv =
      '\uFEFFcookie,email,location.city,location.country,demographics.age,interests\r\n' +
      'csv-1,,"Brooklyn, NY",USA,35,"Tom Brady;Nike shoes"\r\n' +
      'csv-2,zoë@example.org,"São\nPaulo",Brasil,abc,sushi|ramen\r\n' +
      'csv-3,,東京,Japan,,"寿司"\r\n'
    const r = await post(csv, 'text/csv; charset=utf-8')
    expect(r.json()).toMatchObject({ status: 'partial', records_processed: 3, records_failed: 1 })
    expect(r.json().errors[0]).toMatchObject({ record: 2, field: 'demographics.age' })
    const p1 = (await t.user({ cookie: 'csv-1' })).body.user_profile
    expect(p1.location_detail.city).toBe('Brooklyn, NY')
    expect(p1.demographics.age).toBe(35)
    expect(p1.interests.sort()).toEqual(['nike shoes', 'tom brady'])
    const p3 = (await t.user({ cookie: 'csv-3' })).body.user_profile
    expect(p3.location_detail).toMatchObject({ city: '東京', country_code: 'JP' })
    expect(p3.interests).toEqual(['寿司'])
  })

  it('is idempotent: the same records again change nothing and are reported as duplicates', async () => {
    const records = [{ cookie: 'dup-1', interests: ['golf'] }, { cookie: 'dup-2' }]
    await t.ingest(records)
    const again = await t.ingest(records)
    expect(again.body).toMatchObject({ status: 'success', records_processed: 2, duplicates: 2 })
    const profile = (await t.user({ cookie: 'dup-1' })).body.user_profile
    expect(profile.interests).toEqual(['golf'])
  })

  it('answers 400 with line and column for a body that is not JSON', async () => {
    const message = expectError(await post('{"cookie": "a",\n  "email": }', 'application/json'), 400, 'invalid_input')
    expect(message).toMatch(/line 2/)
    expect(message).toMatch(/column/)
  })

  it('answers 400 for an empty body', async () => {
    expectError(await post('', 'application/json'), 400, 'invalid_input')
  })

  it('answers 415 for an unsupported content type, naming the supported ones', async () => {
    const message = expectError(await post('<xml/>', 'application/xml'), 415, 'unsupported_media_type')
    expect(message).toContain('text/csv')
  })

  it('answers 413 over the size limit, pointing to cdp import', async () => {
    const big = JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ cookie: `big-${i}`, interests: ['x'.repeat(20)] })))
    const message = expectError(await post(big, 'application/json'), 413, 'payload_too_large')
    expect(message).toContain('cdp import')
  })

  it('answers 400 for a bad source name', async () => {
    expectError(await post('{"cookie":"s"}', 'application/json', t.keys.ingest, '/api/ingest?source=has%20space'), 400, 'invalid_input')
  })
})

describe('auth', () => {
  it('answers 401 without a key and with a bad key', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/cohorts' }), 401, 'unauthorized')
    expectError(await t.app.inject({ method: 'GET', url: '/api/cohorts', headers: { authorization: 'Bearer nope' } }), 401, 'unauthorized')
  })

  it('answers 403 when the key lacks the scope', async () => {
    expectError(await post('{"cookie":"x"}', 'application/json', t.keys.read), 403, 'forbidden')
    expectError(await t.app.inject({ method: 'GET', url: '/api/cohorts', headers: t.auth('ingest') }), 403, 'forbidden')
    expectError(await t.app.inject({ method: 'GET', url: '/api/raw', headers: t.auth('read') }), 403, 'forbidden')
  })

  it('keeps /health open', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/health' })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ status: 'ok' })
  })

  it('creates and revokes keys through the API; a revoked key stops working', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/keys', headers: t.auth('admin'), payload: { name: 'tmp', scopes: ['read'] } })
    expect(created.statusCode).toBe(201)
    const { id, key } = created.json()
    expect((await t.app.inject({ method: 'GET', url: '/api/cohorts', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'DELETE', url: `/api/keys/${id}`, headers: t.auth('admin') })).statusCode).toBe(204)
    expect((await t.runtime.store.findApiKeyByHash((await import('../../src/api/auth.ts')).hashKey(key)))?.revokedAt).not.toBeNull()
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/keys/${id}`, headers: t.auth('admin') }), 404, 'not_found')
  })
})

describe('GET /api/user', () => {
  it('answers 400 without a lookup key or with two', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/user', headers: t.auth('read') }), 400, 'invalid_input')
    const message = expectError(await t.app.inject({ method: 'GET', url: '/api/user?cookie=a&email=b@c.de', headers: t.auth('read') }), 400, 'invalid_input')
    expect(message).toContain('cookie and email')
  })

  it('answers 404 for an unknown person', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/user?cookie=never-seen', headers: t.auth('read') }), 404, 'not_found')
  })

  it('explains cohorts with explain=1', async () => {
    await t.ingest({ cookie: 'explain-1', interests: ['Tom Brady'] })
    const r = await t.user({ cookie: 'explain-1', explain: '1' })
    type Detail = { name: string; reason: string; interest: string; explanation: { decision: string; gazetteer: Array<{ alias: string; cohorts: string[] }>; strongest_features: unknown[] } }
    const details = (r.body.user_profile as unknown as { cohort_details: Detail[] }).cohort_details
    expect(details[0]).toMatchObject({ name: 'Sports', reason: 'interest "tom brady"', interest: 'tom brady' })
    // Which gazetteer entry matched, and what else pushed the model there.
    expect(details[0]?.explanation.decision).toBe('accepted')
    expect(details[0]?.explanation.gazetteer[0]).toMatchObject({ alias: 'tom brady', cohorts: ['Sports'] })
    expect(details[0]?.explanation.strongest_features.length).toBeGreaterThan(0)
  })
})

describe('cohorts', () => {
  it('lists the twelve default cohorts with descriptions and member counts', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/cohorts', headers: t.auth('read') })
    const names = r.json().map((c: { name: string }) => c.name)
    expect(names).toEqual(
      expect.arrayContaining(['Sports', 'Technology', 'Finance', 'Entertainment', 'Fashion', 'Travel', 'Food & Drink', 'Health & Fitness', 'Automotive', 'Home & Garden', 'Education', 'Gaming']),
    )
    const sports = r.json().find((c: { name: string }) => c.name === 'Sports')
    expect(sports.description.length).toBeGreaterThan(10)
    expect(sports.members).toBeGreaterThan(0)
  })

  it('pages members by offset and by cursor, case-insensitively, with an exact total', async () => {
    const records = Array.from({ length: 25 }, (_, i) => ({ cookie: `page-${String(i).padStart(2, '0')}`, interests: ['ethereum'] }))
    await t.ingest(records)
    const get = (qs: string) => t.app.inject({ method: 'GET', url: `/api/cohort/users?${qs}`, headers: t.auth('read') })
    const first = (await get('cohort=FINANCE&limit=10')).json()
    expect(first).toMatchObject({ cohort: 'Finance', limit: 10, offset: 0 })
    expect(first.total).toBeGreaterThanOrEqual(25)
    expect(first.users).toHaveLength(10)
    expect(first.users[0]).toEqual(expect.objectContaining({ profile_id: expect.any(String), score: expect.any(Number), assigned_at: expect.any(String) }))
    const all: string[] = []
    let cursor: string | null = null
    do {
      const page: { users: Array<{ profile_id: string }>; next_cursor: string | null } = (await get(`cohort=finance&limit=10${cursor ? `&cursor=${cursor}` : ''}`)).json()
      all.push(...page.users.map((u) => u.profile_id))
      cursor = page.next_cursor
    } while (cursor)
    expect(all).toHaveLength(first.total)
    expect(new Set(all).size).toBe(all.length)
    const byOffset = (await get('cohort=finance&limit=10&offset=10')).json()
    expect(byOffset.users.map((u: { profile_id: string }) => u.profile_id)).toEqual(all.slice(10, 20))
  })

  it('answers 404 for an unknown cohort, listing the valid names', async () => {
    const message = expectError(await t.app.inject({ method: 'GET', url: '/api/cohort/users?cohort=knitting', headers: t.auth('read') }), 404, 'not_found')
    expect(message).toContain('Sports')
    expect(message).toContain('Gaming')
  })

  it.each(['limit=0', 'limit=1001', 'limit=abc', 'offset=-1', 'cursor=%21%21', 'cursor=cHJvZl8x&offset=5'])('answers 400 for %s', async (qs) => {
    expectError(await t.app.inject({ method: 'GET', url: `/api/cohort/users?cohort=sports&${qs}`, headers: t.auth('read') }), 400, 'invalid_input')
  })
})

describe('documentation', () => {
  it('serves the OpenAPI document and the rendered docs', async () => {
    const spec = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(spec.statusCode).toBe(200)
    expect(Object.keys(spec.json().paths)).toEqual(expect.arrayContaining(['/api/ingest', '/api/user', '/api/cohort/users', '/api/cohorts']))
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(docs.statusCode).toBe(200)
    expect(docs.body).toContain('swagger')
  })

  it('answers unknown routes with the error shape', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/nope', headers: t.auth('read') }), 404, 'not_found')
  })
})
