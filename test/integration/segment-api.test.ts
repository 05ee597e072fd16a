// The Segment-spec API, through the real @segment/analytics-node client and raw HTTP: identity,
// de-duplication, limits, skew correction, and the event reading APIs.
import { Analytics } from '@segment/analytics-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contentHash } from '../../src/pipeline/prepare/raw-record.ts'
import { MESSAGE_CONTENT_TYPE } from '../../src/pipeline/records.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let baseUrl: string

beforeAll(async () => {
  t = await createTestApp()
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await t.close()
})

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` })

async function post(path: string, body: unknown, headers: Record<string, string> = basic(t.keys.ingest)) {
  const response = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: response.statusCode, body: response.json() }
}

async function events(query: Record<string, string>) {
  const response = await t.app.inject({ method: 'GET', url: '/api/events', query, headers: t.auth('read') })
  return { status: response.statusCode, body: response.json() }
}

describe('the @segment/analytics-node client', () => {
  it('sends identify, track and page to this server, and they arrive', async () => {
    const analytics = new Analytics({ writeKey: t.keys.ingest, host: baseUrl, flushAt: 10, flushInterval: 50, maxRetries: 1 })
    const errors: unknown[] = []
    analytics.on('error', (error) => errors.push(error))
    analytics.identify({ anonymousId: 'anon-node-1', userId: 'node.user@example.com', traits: { name: 'Node User', age: 31, address: { city: 'Austin', state: 'TX' }, plan: 'pro' } })
    analytics.track({ anonymousId: 'anon-node-1', event: 'Product Viewed', properties: { sku: 'N-1', category: 'tennis rackets', price: 120 } })
    analytics.page({ anonymousId: 'anon-node-1', name: 'Home', properties: { path: '/' } })
    analytics.track({ userId: 'node.user@example.com', event: 'Order Completed', properties: { total: 120 } })
    await analytics.closeAndFlush({ timeout: 10_000 })
    expect(errors).toEqual([])

    const { body } = await t.user({ email: 'node.user@example.com', events: '20' })
    const user = body.user_profile as unknown as Record<string, unknown> & { events: Array<{ name: string; properties: Record<string, unknown>; anonymous_id: string | null }> }
    expect(user.cookies).toContain('anon-node-1')
    expect(user.demographics).toMatchObject({ age: 31 })
    expect(user.location_detail).toMatchObject({ city: 'Austin', state: 'Texas' })
    expect(user.traits).toMatchObject({ name: 'Node User', plan: 'pro' })
    expect(user.events.map((e) => e.name).sort()).toEqual(['Order Completed', 'Page Viewed', 'Product Viewed'])
    expect(user.events.find((e) => e.name === 'Product Viewed')?.properties).toEqual({ sku: 'N-1', category: 'tennis rackets', price: 120 })
    // The viewed product's category became an interest, and so a cohort.
    expect(user.interests).toContain('tennis rackets')
    expect(user.cohorts).toContain('Sports')
    expect(user.event_counts).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Product Viewed', count: 1 })]))
  })
})

describe('POST /v1/*', () => {
  it('accepts each message type with Basic, Bearer or a body writeKey, and refuses without a key', async () => {
    const message = { anonymousId: 'anon-auth', event: 'Signed Up', messageId: 'm-auth-1' }
    expect((await post('/v1/track', message)).status).toBe(200)
    expect((await post('/v1/track', { ...message, messageId: 'm-auth-2' }, t.auth('ingest'))).status).toBe(200)
    expect((await post('/v1/track', { ...message, messageId: 'm-auth-3', writeKey: t.keys.ingest }, {})).status).toBe(200)
    const refused = await post('/v1/track', { ...message, messageId: 'm-auth-4' }, {})
    expect(refused.status).toBe(401)
    const readOnly = await post('/v1/track', { ...message, messageId: 'm-auth-5' }, basic(t.keys.read))
    expect(readOnly.status).toBe(403)
    for (const [type, extra] of [
      ['screen', { name: 'Home' }],
      ['group', { groupId: 'acme', traits: { plan: 'enterprise' } }],
      ['identify', { traits: { email: 'auth@example.com' } }],
    ] as const) {
      const { status, body } = await post(`/v1/${type}`, { anonymousId: 'anon-auth', messageId: `m-${type}`, ...extra })
      expect(status, JSON.stringify(body)).toBe(200)
    }
    const { body } = await t.user({ email: 'auth@example.com', events: '10' })
    const user = body.user_profile as unknown as { traits: Record<string, unknown>; events: Array<{ name: string }> }
    expect(user.traits.group).toEqual({ id: 'acme', plan: 'enterprise' })
    expect(user.events.map((e) => e.name).sort()).toEqual(['Screen Viewed', 'Signed Up', 'Signed Up', 'Signed Up'])
  })

  it('de-duplicates by messageId exactly and durably, whatever else differs', async () => {
    const message = { type: 'track', anonymousId: 'anon-dup', event: 'Add to Cart', messageId: 'dup-1', timestamp: '2026-01-01T00:00:00Z' }
    const first = await post('/v1/batch', { batch: [message, message] })
    expect(first.body).toMatchObject({ success: true, accepted: 1, duplicates: 1 })
    // A retry later, with a different sentAt and context, is still the same message.
    const retry = await post('/v1/batch', { batch: [{ ...message, context: { retry: true } }], sentAt: new Date().toISOString() })
    expect(retry.body).toMatchObject({ success: true, accepted: 0, duplicates: 1 })
    const { body } = await events({ cookie: 'anon-dup' })
    expect(body.events).toHaveLength(1)
  })

  it('rejects a bad message with a clear per-message error and keeps its neighbours', async () => {
    const big = 'x'.repeat(33 * 1024)
    const { status, body } = await post('/v1/batch', {
      batch: [
        { type: 'track', anonymousId: 'anon-bad', event: 'Fine', messageId: 'bad-ok-1' },
        { type: 'track', anonymousId: 'anon-bad', messageId: 'bad-1' },
        { type: 'track', event: 'No Id', messageId: 'bad-2' },
        { type: 'launch', anonymousId: 'anon-bad', messageId: 'bad-3' },
        { type: 'track', anonymousId: 'anon-bad', event: 'Huge', properties: { big }, messageId: 'bad-4' },
        { type: 'track', anonymousId: 'anon-bad', event: 'Fine', messageId: 'bad-ok-2', timestamp: 'yesterday' },
        { type: 'track', anonymousId: 'anon-bad', event: 'Fine', messageId: 'bad-ok-3' },
      ],
    })
    expect(status).toBe(200)
    expect(body).toMatchObject({ success: false, accepted: 2, rejected: 5 })
    const byIndex = Object.fromEntries((body.errors as Array<{ index: number; reason: string; message: string }>).map((e) => [e.index, e]))
    expect(byIndex[1]?.message).toMatch(/event is required for track/)
    expect(byIndex[2]?.message).toMatch(/anonymousId or userId is required/)
    expect(byIndex[3]?.message).toMatch(/type must be one of identify, track/)
    expect(byIndex[4]).toMatchObject({ reason: 'too_large' })
    expect(byIndex[4]?.message).toMatch(/at most 32 KB/)
    expect(byIndex[5]).toMatchObject({ reason: 'bad_timestamp' })
    expect((await events({ cookie: 'anon-bad' })).body.events).toHaveLength(2)

    // Rejected messages are kept in the raw store for review and replay.
    const raw = await t.app.inject({ method: 'GET', url: '/api/raw?status=rejected&source=segment', headers: t.auth('admin') })
    expect(raw.statusCode).toBe(200)
    expect(JSON.stringify(raw.json())).toContain('bad-3')

    // A single-message endpoint answers 400 with the reason.
    const single = await post('/v1/track', { anonymousId: 'anon-bad', messageId: 'bad-5' })
    expect(single.status).toBe(400)
    expect(single.body.error.message).toMatch(/event: event is required/)
  })

  it('replays a message an older rule rejected into its event and profile', async () => {
    const message = { type: 'track', anonymousId: 'anon-replay', event: 'Product Viewed', properties: { category: 'tennis rackets' }, messageId: 'replay-1', timestamp: '2026-03-01T10:00:00Z' }
    await t.runtime.store.ingestTransaction((tx) =>
      tx.insertRawRecords([
        {
          batchId: 'bat_old',
          receivedAt: Date.parse('2026-03-01T10:00:05Z'),
          source: 'segment',
          contentType: MESSAGE_CONTENT_TYPE,
          recordIndex: 0,
          payload: JSON.stringify(message),
          contentHash: contentHash('segment', 'message:replay-1'),
          status: 'rejected',
          errors: [{ field: 'event', reason: 'invalid_message', message: 'rejected by an older rule' }],
          cookie: 'anon-replay',
          email: null,
          observedAt: null,
        },
      ]),
    )
    const rows = await t.runtime.store.listRawRecords({ status: 'rejected', source: 'segment', limit: 1000, afterId: undefined })
    const result = await t.runtime.pipeline.replay(rows.filter((r) => r.cookie === 'anon-replay'))
    expect(result).toEqual({ replayed: 1, accepted: 1, stillRejected: 0 })
    const { body } = await events({ cookie: 'anon-replay' })
    expect(body.events).toEqual([expect.objectContaining({ name: 'Product Viewed', message_id: 'replay-1', timestamp: '2026-03-01T10:00:00.000Z' })])
    const replayed = (await t.user({ cookie: 'anon-replay' })).body.user_profile
    expect(replayed.cohorts).toContain('Sports')
    // An event is an observation of its visitor: it moves last_seen.
    expect(replayed.last_seen).toBe('2026-03-01T10:00:00.000Z')
    // The same messageId sent again now is a duplicate: the replayed message holds its place.
    expect((await post('/v1/batch', { batch: [message] })).body).toMatchObject({ accepted: 0, duplicates: 1 })
  })

  it('refuses a batch over 500 KB and a body that is not JSON, saying what to fix', async () => {
    const batch = Array.from({ length: 20 }, (_, i) => ({ type: 'track', anonymousId: 'anon-big', event: 'E', messageId: `big-${i}`, properties: { pad: 'y'.repeat(30 * 1024) } }))
    const tooBig = await post('/v1/batch', { batch })
    expect(tooBig.status).toBe(413)
    expect(tooBig.body.error.message).toMatch(/limit is 500 KB per batch/)
    const huge = await post('/v1/batch', { batch: [{ type: 'track', anonymousId: 'a', event: 'E', properties: { pad: 'z'.repeat(1_500_000) } }] })
    expect(huge.status).toBe(413)
    expect(huge.body.error.message).toMatch(/limit is 500 KB per batch/)
    const broken = await post('/v1/batch', '{"batch": [')
    expect(broken.status).toBe(400)
    expect(broken.body.error.message).toMatch(/not valid JSON at line 1/)
    const notArray = await post('/v1/batch', { batch: {} })
    expect(notArray.body.error.message).toMatch(/"batch" must be an array/)
  })

  it('corrects client clock skew from sentAt', async () => {
    // The client's clock is 2 hours behind; the event happened 10 s before it was sent.
    const clientNow = Date.now() - 2 * 3600_000
    await post('/v1/batch', {
      sentAt: new Date(clientNow).toISOString(),
      batch: [{ type: 'track', anonymousId: 'anon-skew', event: 'Skewed', messageId: 'skew-1', timestamp: new Date(clientNow - 10_000).toISOString() }],
    })
    const [event] = (await events({ cookie: 'anon-skew' })).body.events as Array<{ timestamp: string; received_at: string }>
    const lag = Date.parse(event?.received_at ?? '') - Date.parse(event?.timestamp ?? '')
    expect(lag).toBeGreaterThanOrEqual(9_990)
    expect(lag).toBeLessThanOrEqual(10_010)
  })

  it('answers CORS preflights so pages on other origins can send', async () => {
    const response = await t.app.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } })
    expect(response.statusCode).toBe(204)
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.example')
    expect(String(response.headers['access-control-allow-headers'])).toContain('authorization')
  })

  it('allows the headers a preflight asks for, X-Retry-Count included, on every path', async () => {
    for (const url of ['/v1/t', '/v1/b', '/v1/track']) {
      const response = await t.app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-retry-count,x-custom-tag' },
      })
      expect(response.statusCode, url).toBe(204)
      const allowed = String(response.headers['access-control-allow-headers']).split(', ')
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'content-encoding', 'x-retry-count', 'x-custom-tag']))
      expect(response.headers['access-control-allow-credentials']).toBe('true')
      expect(String(response.headers.vary)).toContain('Access-Control-Request-Headers')
    }
  })

  it('puts CORS headers on error answers too, so a page can read why it was refused', async () => {
    const origin = 'https://shop.example'
    const attempts: Array<[number, Record<string, string>, string, string]> = [
      [401, { 'content-type': 'text/plain' }, '/v1/t', JSON.stringify({ anonymousId: 'a', event: 'E' })],
      [400, { 'content-type': 'text/plain', ...basic(t.keys.ingest) }, '/v1/t', '{"anonymousId": '],
      [413, { 'content-type': 'text/plain' }, '/v1/b', 'x'.repeat(1_100_000)],
      [415, { 'content-type': 'text/plain', 'content-encoding': 'br' }, '/v1/b', '{}'],
      [415, { 'content-type': '/plain' }, '/v1/p', '{}'],
      [404, { 'content-type': 'text/plain' }, '/v1/x', '{}'],
    ]
    for (const [status, headers, url, payload] of attempts) {
      const response = await t.app.inject({ method: 'POST', url, headers: { origin, ...headers }, payload })
      expect(response.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(status)
      expect(response.headers['access-control-allow-origin'], `${status} from ${url}`).toBe(origin)
      expect(response.json().error).toEqual({ code: expect.any(String), message: expect.any(String), request_id: expect.stringMatching(/^req_/) })
    }
  })
})

describe('messages exactly as the stock libraries send them', () => {
  // Captured from @segment/analytics-next 1.84 (per call and batched), @segment/analytics-node 3.1
  // and @rudderstack/rudder-sdk-node 3.0, only ids, keys and times changed: every field they add
  // (originalTimestamp, context.traits, context.library, channel, _metadata, integrations, a null
  // userId, writeKey inside batch messages) must be read or kept, never refused.
  const browserContext = {
    page: { path: '/', referrer: '', search: '', title: 'Shop /', url: 'http://localhost:3000/' },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    userAgentData: { brands: [{ brand: 'Chromium', version: '156' }], mobile: false, platform: 'Linux' },
    locale: 'en-US',
    library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
    timezone: 'UTC',
  }
  const ajsMetadata = { bundled: ['Segment.io'], unbundled: [], bundledIds: [] }

  it('analytics-next: page and track with a null userId, identify, and a retried batch', async () => {
    const writeKey = t.keys.ingest
    const now = new Date().toISOString()
    const page = { timestamp: now, integrations: {}, type: 'page', properties: browserContext.page, context: browserContext, messageId: 'ajs-next-1-page', anonymousId: 'anon-ajs', writeKey, userId: null, sentAt: now, _metadata: ajsMetadata }
    const track = { timestamp: now, integrations: {}, event: 'Product Viewed', type: 'track', properties: { sku: 'AJS-1', price: 120 }, context: browserContext, messageId: 'ajs-next-1-track', anonymousId: 'anon-ajs', writeKey, userId: null, sentAt: now, _metadata: ajsMetadata }
    const identify = { timestamp: now, integrations: {}, type: 'identify', userId: 'user-ajs-1', traits: { email: 'ajs.exact@example.com', name: 'Ajs' }, context: browserContext, messageId: 'ajs-next-1-identify', anonymousId: 'anon-ajs', writeKey, sentAt: now, _metadata: ajsMetadata }
    for (const [url, message] of [['/v1/p', page], ['/v1/t', track], ['/v1/i', identify]] as const) {
      const response = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain', ...basic(writeKey) }, payload: JSON.stringify(message) })
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200)
    }
    // Batched delivery drops each message's sentAt, keeps its writeKey, and marks retries in _metadata.
    const { sentAt: _sentAt, ...inBatch } = { ...track, event: 'Cart Viewed', messageId: 'ajs-next-1-batched', _metadata: { ...ajsMetadata, retryCount: 1 } }
    const batch = await t.app.inject({ method: 'POST', url: '/v1/b', headers: { 'content-type': 'text/plain', 'x-retry-count': '1', ...basic(writeKey) }, payload: JSON.stringify({ writeKey, batch: [inBatch], sentAt: now }) })
    expect(batch.json()).toMatchObject({ success: true, accepted: 1, rejected: 0 })

    const { body } = await t.user({ email: 'ajs.exact@example.com', events: '10' })
    const user = body.user_profile as unknown as { cookies: string[]; traits: Record<string, unknown>; events: Array<{ name: string; properties: Record<string, unknown>; context: Record<string, unknown> }> }
    expect(user.cookies).toContain('anon-ajs')
    expect(user.traits).toMatchObject({ name: 'Ajs', user_id: 'user-ajs-1' })
    expect(user.events.map((e) => e.name).sort()).toEqual(['Cart Viewed', 'Page Viewed', 'Product Viewed'])
    expect(user.events.find((e) => e.name === 'Product Viewed')).toMatchObject({ properties: { sku: 'AJS-1', price: 120 }, context: { library: browserContext.library, page: browserContext.page } })
  })

  it('analytics-node and rudder-sdk-node: integrations, _metadata, channel, originalTimestamp and context.traits', async () => {
    const sentAt = new Date()
    const tenSecondsBefore = new Date(sentAt.getTime() - 10_000).toISOString()
    const nodeLibrary = { name: '@segment/analytics-node', version: '3.1.0' }
    const analyticsNode = {
      batch: [
        { timestamp: tenSecondsBefore, integrations: {}, type: 'identify', userId: 'exact.node@example.com', traits: { name: 'Exact Node' }, context: { library: nodeLibrary }, anonymousId: 'anon-exact-node', messageId: 'node-next-1-identify', _metadata: { nodeVersion: 'v20.20.2', jsRuntime: 'node' } },
        // context.traits on a track: the user's traits as the client knows them, kept with the event.
        { timestamp: tenSecondsBefore, integrations: { All: true }, event: 'Exact Node Event', type: 'track', properties: { x: 1 }, context: { traits: { email: 'exact.node@example.com', plan: 'pro' }, library: nodeLibrary }, anonymousId: 'anon-exact-node', messageId: 'node-next-1-track', _metadata: { nodeVersion: 'v20.20.2', jsRuntime: 'node' } },
      ],
      writeKey: t.keys.ingest,
      sentAt: sentAt.toISOString(),
    }
    expect((await post('/v1/batch', analyticsNode)).body).toMatchObject({ success: true, accepted: 2 })

    const rudderLibrary = { name: 'analytics-node', version: '3.0.13' }
    const rudder = {
      batch: [
        { anonymousId: 'anon-exact-rudder', userId: 'exact.rudder@example.com', traits: { name: 'Exact Rudder' }, context: { traits: { name: 'Exact Rudder' }, library: rudderLibrary }, type: 'identify', channel: 'server', _metadata: { nodeVersion: '20.20.2' }, originalTimestamp: tenSecondsBefore, messageId: 'rudder-1-identify', sentAt: sentAt.toISOString() },
        { anonymousId: 'anon-exact-rudder', event: 'Exact Rudder Event', properties: { y: 2 }, integrations: { All: true }, context: { library: rudderLibrary }, type: 'track', channel: 'server', _metadata: { nodeVersion: '20.20.2' }, originalTimestamp: tenSecondsBefore, messageId: 'rudder-1-track', sentAt: sentAt.toISOString() },
      ],
      timestamp: sentAt.toISOString(),
      sentAt: sentAt.toISOString(),
    }
    expect((await post('/v1/batch', rudder)).body).toMatchObject({ success: true, accepted: 2 })

    const node = (await events({ cookie: 'anon-exact-node' })).body.events as Array<{ name: string; context: Record<string, unknown> }>
    expect(node.find((e) => e.name === 'Exact Node Event')?.context).toEqual({ traits: { email: 'exact.node@example.com', plan: 'pro' }, library: nodeLibrary })
    const [rudderEvent] = (await events({ cookie: 'anon-exact-rudder' })).body.events as Array<{ name: string; timestamp: string; received_at: string; context: Record<string, unknown> }>
    expect(rudderEvent).toMatchObject({ name: 'Exact Rudder Event', context: { library: rudderLibrary } })
    // originalTimestamp is the event's time, corrected for the client clock by its sentAt.
    const lag = Date.parse(rudderEvent?.received_at ?? '') - Date.parse(rudderEvent?.timestamp ?? '')
    expect(lag).toBeGreaterThanOrEqual(9_990)
    expect(lag).toBeLessThanOrEqual(10_010)
    const person = await t.user({ email: 'exact.rudder@example.com' })
    expect(person.body.user_profile.traits).toMatchObject({ name: 'Exact Rudder' })
    expect(person.body.user_profile.cookies).toContain('anon-exact-rudder')
  })
})

describe("analytics.js 2.0's short paths", () => {
  it('serve /v1/i, t, p, s, g, a and b as identify, track, page, screen, group, alias and batch, with the key in a text/plain body', async () => {
    const writeKey = t.keys.ingest
    const messages: Array<[string, Record<string, unknown>]> = [
      ['/v1/p', { anonymousId: 'anon-short', name: 'Home', properties: { path: '/' } }],
      ['/v1/t', { anonymousId: 'anon-short', event: 'Short Tracked', properties: { sku: 'S-1' } }],
      ['/v1/s', { anonymousId: 'anon-short', name: 'Cart' }],
      ['/v1/g', { anonymousId: 'anon-short', groupId: 'acme' }],
      ['/v1/i', { anonymousId: 'anon-short', userId: 'short.paths@example.com', traits: { plan: 'pro' } }],
      ['/v1/a', { previousId: 'anon-short', userId: 'short-user-42' }],
    ]
    for (const [i, [url, message]] of messages.entries()) {
      const response = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ ...message, writeKey, messageId: `short-${i}` }) })
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200)
    }
    const batch = await t.app.inject({
      method: 'POST',
      url: '/v1/b',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ writeKey, sentAt: new Date().toISOString(), batch: [{ type: 'track', anonymousId: 'anon-short', event: 'Short Batched', messageId: 'short-b', writeKey }] }),
    })
    expect(batch.json()).toMatchObject({ success: true, accepted: 1 })

    const { body } = await t.user({ email: 'short.paths@example.com', events: '10' })
    const user = body.user_profile as unknown as { cookies: string[]; traits: Record<string, unknown>; events: Array<{ name: string }> }
    expect(user.cookies).toContain('anon-short')
    expect(user.traits).toMatchObject({ plan: 'pro', group: { id: 'acme' }, user_id: 'short-user-42' })
    expect(user.events.map((e) => e.name).sort()).toEqual(['Page Viewed', 'Screen Viewed', 'Short Batched', 'Short Tracked'])
  })

  it('refuses a message whose type disagrees with its short path', async () => {
    const response = await post('/v1/t', { type: 'page', anonymousId: 'a', messageId: 'short-wrong' })
    expect(response.status).toBe(400)
    expect(response.body.error.message).toContain('was sent to /v1/track')
  })
})

describe('identity through events', () => {
  it('an identify merges the anonymous visitor, and events from before the merge belong to the person at once', async () => {
    await post('/v1/batch', {
      batch: [
        { type: 'track', anonymousId: 'anon-merge-a', event: 'Product Viewed', messageId: 'mg-1' },
        { type: 'track', anonymousId: 'anon-merge-b', event: 'Product Viewed', messageId: 'mg-2' },
      ],
    })
    await post('/v1/identify', { anonymousId: 'anon-merge-a', userId: 'merge@example.com', messageId: 'mg-3' })
    await post('/v1/identify', { anonymousId: 'anon-merge-b', traits: { email: 'Merge@Example.com' }, messageId: 'mg-4' })
    const { body } = await events({ email: 'merge@example.com' })
    expect(body.events).toHaveLength(2)
    const profileId = body.profile_id
    expect((await events({ cookie: 'anon-merge-a' })).body.profile_id).toBe(profileId)
    expect((await events({ cookie: 'anon-merge-b' })).body.profile_id).toBe(profileId)
  })

  it('a userId that is not an email is an identifier: later messages with only that userId reach the same person', async () => {
    await post('/v1/identify', { anonymousId: 'anon-uid', userId: 'user-42', traits: { plan: 'gold' }, messageId: 'uid-1' })
    await post('/v1/track', { userId: 'user-42', event: 'Server Side', messageId: 'uid-2' })
    const byUser = await events({ user_id: 'user-42' })
    const byCookie = await events({ cookie: 'anon-uid' })
    expect(byUser.body.profile_id).toBe(byCookie.body.profile_id)
    expect(byUser.body.events.map((e: { name: string }) => e.name)).toEqual(['Server Side'])
    const { body } = await t.user({ user_id: 'user-42' })
    expect(body.user_profile.traits).toMatchObject({ plan: 'gold', user_id: 'user-42' })
  })

  it('a userId first seen alone follows the visitor it is later identified with', async () => {
    await post('/v1/track', { userId: 'user-77', event: 'Server First', messageId: 'uid77-1' })
    await post('/v1/identify', { anonymousId: 'anon-77', userId: 'user-77', messageId: 'uid77-2' })
    await post('/v1/track', { userId: 'user-77', event: 'Server Later', messageId: 'uid77-3' })
    const visitor = await events({ cookie: 'anon-77' })
    expect(visitor.body.events.map((e: { name: string }) => e.name)).toEqual(['Server Later'])
    expect((await events({ user_id: 'user-77' })).body.profile_id).toBe(visitor.body.profile_id)
  })

  it('pages through events newest first by cursor', async () => {
    const batch = Array.from({ length: 7 }, (_, i) => ({ type: 'track', anonymousId: 'anon-page', event: i % 2 ? 'Odd' : 'Even', messageId: `pg-${i}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }))
    await post('/v1/batch', { batch })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { body: { events: Array<{ message_id: string }>; next_cursor: string | null } } = await events({ cookie: 'anon-page', limit: '3', ...(cursor ? { cursor } : {}) })
      seen.push(...page.body.events.map((e) => e.message_id))
      cursor = page.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(['pg-6', 'pg-5', 'pg-4', 'pg-3', 'pg-2', 'pg-1', 'pg-0'])
    expect((await events({ cookie: 'anon-page', name: 'Odd' })).body.events).toHaveLength(3)
    expect((await events({ cookie: 'anon-page', cursor: 'nonsense' })).status).toBe(400)
    expect((await events({ cookie: 'nobody' })).status).toBe(404)
  })
})
