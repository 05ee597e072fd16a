// Identifier kinds beyond cookie and email (issue #20): where they arrive from, lookups by any kind,
// limits with windows, blocked values, the settings endpoint, and the promise that every identifier
// of an accepted record resolves to exactly one profile, whatever the history and the limits.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let direct: SqlDatabase
beforeAll(async () => {
  t = await createTestApp({ CDP_IDENTIFIERS: 'phone, loyalty_id:1, device_id:2/week', CDP_BLOCKED_IDENTIFIERS: 'guest, loyalty_id:L-0' })
  direct = await openDatabase(t.database.config)
})
afterAll(async () => {
  await direct.close()
  await t.close()
})

async function get(url: string, query: Record<string, string> = {}) {
  const r = await t.app.inject({ method: 'GET', url, query, headers: t.auth('read') })
  return { status: r.statusCode, body: r.json() }
}

async function v1(batch: unknown[]) {
  const r = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: JSON.stringify({ batch }) })
  expect(r.statusCode, r.body).toBe(200)
  return r.json()
}

const profileIdOf = async (query: Record<string, string>) => {
  const r = await get('/api/user', query)
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body.user_profile.profile_id as string
}

describe('identity settings', () => {
  it('lists the defaults: user_id (1 per person), email, device_id, cookie (unlimited); phone only when declared', async () => {
    const plain = await createTestApp()
    try {
      const r = await plain.app.inject({ method: 'GET', url: '/api/identity/settings', headers: plain.auth('read') })
      const kinds = r.json().kinds as Array<{ kind: string; limit: { text: string } }>
      expect(kinds.map((k) => `${k.kind} ${k.limit.text}`)).toEqual(['user_id 1', 'email unlimited', 'device_id unlimited', 'cookie unlimited'])
      await plain.ingest([{ cookie: 'p-1', email: 'pat@example.org', phone: '+1 555 010 3000' }])
      expect((await plain.user({ phone: '+15550103000' })).status).toBe(404)
    } finally {
      await plain.close()
    }
  })

  it('lists every kind with its priority, limit and blocked values, the defaults keeping the customer’s rule', async () => {
    const r = await get('/api/identity/settings')
    expect(r.status).toBe(200)
    const kinds = r.body.kinds as Array<{ kind: string; priority: number; role: string; limit: { count: number | null; window: string; text: string }; blocked: string[] }>
    expect(kinds.map((k) => k.kind)).toEqual(['user_id', 'email', 'phone', 'loyalty_id', 'device_id', 'cookie'])
    expect(kinds.map((k) => k.priority)).toEqual([1, 2, 3, 4, 5, 6])
    const byKind = new Map(kinds.map((k) => [k.kind, k]))
    expect(byKind.get('cookie')?.limit.text).toBe('unlimited')
    expect(byKind.get('user_id')?.limit.text).toBe('1')
    expect(byKind.get('device_id')?.limit).toEqual({ count: 2, window: 'week', text: '2/week' })
    expect(byKind.get('cookie')?.role).toBe('key')
    expect(byKind.get('loyalty_id')?.blocked).toEqual(expect.arrayContaining(['anonymous', '-1', 'guest', 'l-0']))
    expect(byKind.get('phone')?.blocked).not.toContain('l-0')
  })
})

describe('lookups by any kind', () => {
  it('finds a person by phone, device id, a declared kind and the general identifier=kind:value, from records, CSV and Segment messages', async () => {
    await t.ingest([{ cookie: 'k-1', email: 'kim@example.org', phone: '+1 (555) 010-2000', identifiers: { loyalty_id: 'L-1001', device_id: 'D-1' }, timestamp: '2024-05-01T10:00:00Z' }])
    const kim = await profileIdOf({ email: 'kim@example.org' })
    expect(await profileIdOf({ phone: '+15550102000' })).toBe(kim)
    expect(await profileIdOf({ phone: '+1 555 010 2000' })).toBe(kim)
    expect(await profileIdOf({ device_id: 'D-1' })).toBe(kim)
    expect(await profileIdOf({ identifier: 'loyalty_id:L-1001' })).toBe(kim)
    expect(await profileIdOf({ identifier: 'email:Kim@example.org' })).toBe(kim)
    expect((await get('/api/user', { identifier: 'shoe_size:42' })).status).toBe(400)
    expect((await get('/api/user', { identifier: 'loyalty_id:L-9999' })).status).toBe(404)
    // The profile lists them.
    const identifiers = (await get('/api/user', { email: 'kim@example.org' })).body.user_profile.identifiers as Array<{ kind: string; value: string }>
    expect(identifiers.map((i) => `${i.kind}:${i.value}`).sort()).toEqual(['device_id:D-1', 'loyalty_id:L-1001', 'phone:+15550102000'])

    const csv = await t.app.inject({ method: 'POST', url: '/api/ingest', headers: { ...t.auth('ingest'), 'content-type': 'text/csv' }, payload: 'cookie,email,identifiers.loyalty_id\nk-2,lee@example.org,L-2002\n' })
    expect(csv.statusCode, csv.body).toBe(200)
    expect(await profileIdOf({ identifier: 'loyalty_id:L-2002' })).toBe(await profileIdOf({ email: 'lee@example.org' }))

    await v1([{ type: 'identify', anonymousId: 'k-3', userId: 'u-3003', traits: { email: 'max@example.org', phone: '+44 20 7946 0958' }, context: { device: { id: 'D-3' }, externalIds: [{ id: 'L-3003', type: 'loyalty_id', collection: 'users', encoding: 'none' }] }, timestamp: '2024-05-01T10:00:00Z' }])
    const max = await profileIdOf({ email: 'max@example.org' })
    for (const query of [{ user_id: 'u-3003' }, { device_id: 'D-3' }, { identifier: 'loyalty_id:L-3003' }, { phone: '+442079460958' }] as Array<Record<string, string>>) expect(await profileIdOf(query)).toBe(max)
    // The events and merge-history routes take the same lookups.
    expect((await get('/api/events', { device_id: 'D-3' })).status).toBe(200)
    expect((await get('/api/user/merges', { identifier: 'loyalty_id:L-3003' })).status).toBe(200)
  })
})

describe('privacy by any kind', () => {
  it('exports and erases a person named by a declared kind', async () => {
    await t.ingest([{ cookie: 'e-1', email: 'eve@example.org', identifiers: { loyalty_id: 'L-5005', device_id: 'E-D1' }, timestamp: '2024-06-01T10:00:00Z' }])
    const eve = await profileIdOf({ email: 'eve@example.org' })
    const exported = await t.app.inject({ method: 'GET', url: '/api/user/export', query: { identifier: 'loyalty_id:L-5005' }, headers: t.auth('admin') })
    expect(exported.statusCode, exported.body).toBe(200)
    expect(exported.json().profile_id).toBe(eve)
    expect(JSON.stringify(exported.json().identifiers)).toContain('E-D1')
    const erased = await t.app.inject({ method: 'DELETE', url: '/api/user', query: { device_id: 'E-D1' }, headers: t.auth('admin') })
    expect(erased.statusCode, erased.body).toBe(200)
    for (const query of [{ email: 'eve@example.org' }, { cookie: 'e-1' }, { identifier: 'loyalty_id:L-5005' }, { device_id: 'E-D1' }] as Array<Record<string, string>>) expect((await get('/api/user', query)).status).toBe(404)
    expect((await t.app.inject({ method: 'DELETE', url: '/api/user', query: { device_id: 'nobody-has-it' }, headers: t.auth('admin') })).statusCode).toBe(404)
  })
})

describe('blocked values and undeclared kinds', () => {
  it('keeps them in the raw record, never as identifiers, and warns', async () => {
    const r = await t.ingest([{ cookie: 'b-1', email: 'bo@example.org', user_id: 'anonymous', identifiers: { device_id: '00000000', loyalty_id: 'Guest', shoe_size: '42' } }])
    expect(r.status).toBe(200)
    expect(r.body.records_processed).toBe(1)
    expect(r.body.warnings.map((w) => `${w.field} ${w.reason}`).sort()).toEqual([
      'identifiers.device_id blocked_identifier',
      'identifiers.loyalty_id blocked_identifier',
      'identifiers.shoe_size unknown_identifier',
      'user_id blocked_identifier',
    ])
    expect((await get('/api/user', { device_id: '00000000' })).status).toBe(404)
    expect((await get('/api/user', { user_id: 'anonymous' })).status).toBe(404)
    expect((await get('/api/user', { identifier: 'loyalty_id:Guest' })).status).toBe(404)
    const raw = await direct.reader.selectFrom('raw_records').select('payload').where('cookie', '=', 'b-1').executeTakeFirstOrThrow()
    expect(raw.payload).toContain('00000000')
  })
})

describe('limits', () => {
  it('demotes a device id past 2 a week: refused on the history, resolving to a profile of its own; a week later one more is linked', async () => {
    const day = (d: number) => new Date(Date.UTC(2024, 6, d, 12)).toISOString()
    await t.ingest([{ cookie: 'w-1', email: 'wes@example.org', identifiers: { device_id: 'W-D1' }, timestamp: day(1) }])
    await t.ingest([{ cookie: 'w-1', identifiers: { device_id: 'W-D2' }, timestamp: day(2) }])
    await t.ingest([{ cookie: 'w-1', identifiers: { device_id: 'W-D3' }, interests: ['chess'], timestamp: day(3) }])
    const wes = await profileIdOf({ email: 'wes@example.org' })
    expect(await profileIdOf({ device_id: 'W-D2' })).toBe(wes)
    const own = await profileIdOf({ device_id: 'W-D3' })
    expect(own).not.toBe(wes)
    const log = (await get('/api/user/merges', { email: 'wes@example.org' })).body.merges as Array<{ reason: string; identifier: string; detail: unknown }>
    expect(log.find((m) => m.reason === 'refused')).toMatchObject({ identifier: 'W-D3', detail: { rule: 'device_id_limit', limit: 2, window: 'week' } })
    // The record itself is Wes's.
    expect((await get('/api/user', { email: 'wes@example.org' })).body.user_profile.interests).toEqual(['chess'])
    await t.ingest([{ cookie: 'w-1', identifiers: { device_id: 'W-D4' }, timestamp: day(12) }])
    expect(await profileIdOf({ device_id: 'W-D4' })).toBe(wes)
  })

  it('one user id per person by default: a second user on the same browser is a person of their own, and the cookie stays', async () => {
    await v1([{ type: 'identify', anonymousId: 'family-pc', userId: 'u-ann', traits: { name: 'Ann' }, timestamp: '2024-09-01T10:00:00Z' }])
    await v1([{ type: 'track', anonymousId: 'family-pc', userId: 'u-ben', event: 'Order Completed', timestamp: '2024-09-01T11:00:00Z' }])
    await v1([{ type: 'track', anonymousId: 'family-pc', userId: 'u-ben', event: 'Product Viewed', timestamp: '2024-09-01T11:05:00Z' }])
    const ann = await profileIdOf({ user_id: 'u-ann' })
    const ben = await profileIdOf({ user_id: 'u-ben' })
    expect(ben).not.toBe(ann)
    expect(await profileIdOf({ cookie: 'family-pc' })).toBe(ann)
    const events = (await get('/api/events', { user_id: 'u-ben' })).body.events as Array<{ name: string }>
    expect(events.map((e) => e.name).sort()).toEqual(['Order Completed', 'Product Viewed'])
    expect((await get('/api/events', { user_id: 'u-ann' })).body.events).toEqual([])
    const log = (await get('/api/user/merges', { user_id: 'u-ann' })).body.merges as Array<{ reason: string; identifier: string; detail: unknown }>
    expect(log.filter((m) => m.reason === 'refused')).toEqual([
      expect.objectContaining({ identifier: 'family-pc', detail: { rule: 'user_id_limit', limit: 1, demoted: 'cookie', user_id: 'u-ben' } }),
      expect.objectContaining({ identifier: 'family-pc', detail: { rule: 'user_id_limit', limit: 1, demoted: 'cookie', user_id: 'u-ben' } }),
    ])
  })

  it('decides the same inside one batch on a new browser, and puts the demotion on the history', async () => {
    await v1([
      { type: 'identify', anonymousId: 'kiosk-1', userId: 'u-cy', timestamp: '2024-09-02T10:00:00Z' },
      { type: 'track', anonymousId: 'kiosk-1', userId: 'u-di', event: 'Order Completed', timestamp: '2024-09-02T10:05:00Z' },
    ])
    const cy = await profileIdOf({ user_id: 'u-cy' })
    expect(await profileIdOf({ cookie: 'kiosk-1' })).toBe(cy)
    expect(await profileIdOf({ user_id: 'u-di' })).not.toBe(cy)
    const log = (await get('/api/user/merges', { cookie: 'kiosk-1' })).body.merges as Array<{ reason: string; identifier: string; detail: unknown }>
    expect(log.filter((m) => m.reason === 'refused')).toEqual([expect.objectContaining({ identifier: 'kiosk-1', detail: { rule: 'user_id_limit', limit: 1, demoted: 'cookie', user_id: 'u-di' } })])
  })

  it('moves a loyalty id to the person who last used it, on the history', async () => {
    await t.ingest([{ cookie: 'm-1', email: 'mo@example.org', identifiers: { loyalty_id: 'L-7' }, timestamp: '2024-08-01T10:00:00Z' }])
    await t.ingest([{ cookie: 'm-2', email: 'mia@example.org', timestamp: '2024-08-01T10:00:00Z' }])
    await t.ingest([{ cookie: 'm-2', identifiers: { loyalty_id: 'L-7' }, timestamp: '2024-08-02T10:00:00Z' }])
    const mia = await profileIdOf({ email: 'mia@example.org' })
    expect(await profileIdOf({ identifier: 'loyalty_id:L-7' })).toBe(mia)
    const log = (await get('/api/user/merges', { email: 'mia@example.org' })).body.merges as Array<{ reason: string; identifier: string; absorbed_id: string }>
    expect(log.find((m) => m.reason === 'identifier_moved')).toMatchObject({ identifier: 'L-7', absorbed_id: await profileIdOf({ email: 'mo@example.org' }) })
  })
})

describe('every identifier resolves (property)', () => {
  const COOKIES = ['c1', 'c2', 'c3', 'c4']
  const EMAILS = ['a@example.org', 'b@example.org', 'c@example.org']
  const VALUES = ['1', '2', '3', 'anonymous', '0000']
  const recordArb = fc.record({
    cookie: fc.constantFrom(...COOKIES),
    email: fc.option(fc.constantFrom(...EMAILS), { nil: null }),
    userId: fc.option(fc.constantFrom(...VALUES), { nil: null }),
    device: fc.option(fc.constantFrom(...VALUES), { nil: null }),
    loyalty: fc.option(fc.constantFrom(...VALUES), { nil: null }),
    minute: fc.integer({ min: 0, max: 20_000 }),
  })
  const limitArb = fc.constantFrom('unlimited', '1', '2', '1/day', '2/week')
  let runs = 0

  it('every non-blocked identifier of every accepted record names exactly one live profile, for random histories and limits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(recordArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), limitArb, limitArb, limitArb, fc.constantFrom('unlimited', '1', '2'), async (batches, users, devices, loyalty, cookies) => {
        const run = `p${++runs}`
        const app = await createTestApp({ CDP_MAX_USER_IDS_PER_PERSON: users, CDP_IDENTIFIERS: `phone,device_id:${devices},loyalty_id:${loyalty}`, CDP_MAX_COOKIES_PER_PERSON: cookies })
        const db = await openDatabase(app.database.config)
        try {
          const expected: Array<Record<string, string>> = []
          for (const batch of batches) {
            const records = batch.map((r) => ({
              cookie: `${run}-${r.cookie}`,
              ...(r.email ? { email: `${run}.${r.email}` } : {}),
              ...(r.userId ? { user_id: `${run}-${r.userId}`.replace(`${run}-anonymous`, 'anonymous').replace(`${run}-0000`, '0000') } : {}),
              identifiers: {
                ...(r.device ? { device_id: r.device === 'anonymous' || r.device === '0000' ? r.device : `${run}-d${r.device}` } : {}),
                ...(r.loyalty ? { loyalty_id: r.loyalty === 'anonymous' || r.loyalty === '0000' ? r.loyalty : `${run}-l${r.loyalty}` } : {}),
              },
              timestamp: new Date(Date.UTC(2024, 0, 1) + r.minute * 60_000).toISOString(),
            }))
            const res = await app.ingest(records)
            expect(res.status, JSON.stringify(res.body)).toBe(200)
            expect(res.body.records_failed).toBe(0)
            for (const r of records) {
              expected.push({ cookie: r.cookie })
              if (r.email) expected.push({ email: r.email })
              if (r.user_id && !['anonymous', '0000'].includes(r.user_id)) expected.push({ user_id: r.user_id })
              const ids = r.identifiers as Record<string, string>
              if (ids.device_id && !['anonymous', '0000'].includes(ids.device_id)) expected.push({ device_id: ids.device_id })
              if (ids.loyalty_id && !['anonymous', '0000'].includes(ids.loyalty_id)) expected.push({ identifier: `loyalty_id:${ids.loyalty_id}` })
            }
          }
          for (const query of expected) {
            const r = await app.app.inject({ method: 'GET', url: '/api/user', query, headers: app.auth('read') })
            expect(r.statusCode, `${JSON.stringify(query)}: ${r.body}`).toBe(200)
          }
          // Identity rows are unique per (kind, value), and each names a live profile (or an alias of one).
          const dangling = await db.reader
            .selectFrom('identities')
            .select(['kind', 'value'])
            .where('kind', '!=', 'profile')
            .where(({ not, exists, selectFrom }) => not(exists(selectFrom('profiles').select('profiles.id').whereRef('profiles.id', '=', 'identities.profile_id'))))
            .execute()
          expect(dangling).toEqual([])
        } finally {
          await db.close()
          await app.close()
        }
      }),
      { numRuns: 12, seed: 20 },
    )
  }, 240_000)
})
