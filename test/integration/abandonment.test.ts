// The two audiences behavioural data is collected for, end to end: every event through the
// Segment-spec API, membership decided in the ingest transaction, entries and exits on the change
// log, and members leaving when their window passes through the scheduler (its clock is moved
// forward by passing `now`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.now()

let t: TestApp
let cart: string
let browse: string

const basic = () => ({ authorization: `Basic ${Buffer.from(`${t.keys.ingest}:`).toString('base64')}`, 'content-type': 'application/json' })
let sequence = 0

/** Events of one visitor, each [name, ms before T0, properties]. */
async function send(anonymousId: string, events: Array<[string, number, Record<string, unknown>?]>): Promise<void> {
  const batch = events.map(([event, ago, properties = {}]) => ({ type: 'track', anonymousId, event, properties, timestamp: new Date(T0 - ago).toISOString(), messageId: `ab-${++sequence}` }))
  const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: basic(), payload: { batch } })
  expect(response.statusCode, response.body).toBe(200)
  expect(response.json()).toMatchObject({ success: true, accepted: events.length })
}

async function members(segmentId: string): Promise<string[]> {
  const response = await t.app.inject({ method: 'GET', url: `/api/segments/${segmentId}/users?limit=1000`, headers: t.auth('read') })
  return (response.json().users as Array<{ cookie: string }>).map((u) => u.cookie).sort()
}

async function changes(segmentId: string): Promise<Array<{ change: string; profile_id: string; reason: string }>> {
  const response = await t.app.inject({ method: 'GET', url: `/api/segments/${segmentId}/changes?limit=1000`, headers: t.auth('read') })
  return response.json().changes
}

beforeAll(async () => {
  t = await createTestApp()
  const create = async (body: unknown) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: body as object })
    expect(response.statusCode, response.body).toBe(201)
    return response.json().id as string
  }
  cart = await create({
    name: 'Cart abandoners',
    description: 'Added to cart in the last 24 hours and did not buy',
    conditions: { all: [{ event: 'Add to Cart', within_last: { hours: 24 } }, { not: { event: 'Order Completed', within_last: { hours: 24 } } }] },
  })
  browse = await create({
    name: 'Browse abandoners',
    description: 'Viewed products 3+ times in 7 days without a purchase',
    conditions: {
      all: [
        { event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'gte', value: 3 } },
        { event: 'Order Completed', within_last: { days: 7 }, count: { op: 'eq', value: 0 } },
      ],
    },
  })
  await t.runtime.segments.idle()
})

afterAll(async () => t.close())

describe('cart abandonment: Add to Cart within 24 h and no Order Completed', () => {
  it('enters on Add to Cart, in the request that sent it', async () => {
    await send('shopper-a', [['Add to Cart', 2 * HOUR, { sku: 'S-1' }]])
    await send('shopper-b', [['Add to Cart', 5 * HOUR, { sku: 'S-2' }]])
    await send('shopper-c', [['Product Viewed', HOUR]])
    expect(await members(cart)).toEqual(['shopper-a', 'shopper-b'])
  })

  it('leaves on Order Completed', async () => {
    await send('shopper-b', [['Order Completed', HOUR, { total: 40 }]])
    expect(await members(cart)).toEqual(['shopper-a'])
  })

  it('an order before the cart does not count as buying it', async () => {
    await send('shopper-d', [['Order Completed', 30 * HOUR], ['Add to Cart', HOUR]])
    expect(await members(cart)).toEqual(['shopper-a', 'shopper-d'])
  })

  it('leaves when the 24 hours pass, through the scheduler', async () => {
    // shopper-a added 2 h before T0: their window ends at T0 + 22 h; shopper-d's at T0 + 23 h.
    await t.runtime.segments.runDue(T0 + 22 * HOUR - 60_000)
    expect(await members(cart)).toEqual(['shopper-a', 'shopper-d'])
    await t.runtime.segments.runDue(T0 + 22 * HOUR + 60_000)
    expect(await members(cart)).toEqual(['shopper-d'])
    await t.runtime.segments.runDue(T0 + 23 * HOUR + 60_000)
    expect(await members(cart)).toEqual([])
    const log = await changes(cart)
    expect(log.filter((c) => c.change === 'entered')).toHaveLength(3)
    expect(log.filter((c) => c.change === 'left').map((c) => c.reason)).toEqual([expect.stringMatching(/^ingest /), 'time window passed', 'time window passed'])
  })
})

describe('browse abandonment: Product Viewed at least 3 times in 7 days, no purchase', () => {
  it('enters on the third view within 7 days, and not before', async () => {
    await send('browser-a', [['Product Viewed', 1 * DAY], ['Product Viewed', 2 * DAY]])
    expect(await members(browse)).toEqual([])
    await send('browser-a', [['Product Viewed', 3 * DAY, { sku: 'X' }]])
    // Views older than 7 days do not count.
    await send('browser-b', [['Product Viewed', HOUR], ['Product Viewed', 8 * DAY], ['Product Viewed', 9 * DAY]])
    await send('browser-c', [['Product Viewed', HOUR], ['Product Viewed', 2 * HOUR], ['Product Viewed', 3 * HOUR]])
    expect(await members(browse)).toEqual(['browser-a', 'browser-c'])
  })

  it('a purchase takes the person out; one older than 7 days does not keep them out', async () => {
    await send('browser-c', [['Order Completed', 30 * 60_000]])
    await send('browser-d', [['Order Completed', 8 * DAY], ['Product Viewed', HOUR], ['Product Viewed', 2 * HOUR], ['Product Viewed', 4 * HOUR]])
    expect(await members(browse)).toEqual(['browser-a', 'browser-d'])
  })

  it('anonymous browsing follows the person when they log in', async () => {
    await send('browser-e', [['Product Viewed', HOUR], ['Product Viewed', 2 * HOUR]])
    // A third view on another device, then an identify on each device with the same email.
    await send('browser-e-phone', [['Product Viewed', 3 * HOUR]])
    expect(await members(browse)).toEqual(['browser-a', 'browser-d'])
    for (const anonymousId of ['browser-e', 'browser-e-phone']) {
      const response = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: basic(), payload: { anonymousId, traits: { email: 'eve@example.com' }, messageId: `id-${anonymousId}` } })
      expect(response.statusCode).toBe(200)
    }
    const user = await t.user({ email: 'eve@example.com' })
    expect(user.body.user_profile.cookies.sort()).toEqual(['browser-e', 'browser-e-phone'])
    const ids = (await t.app.inject({ method: 'GET', url: `/api/segments/${browse}/users?limit=100`, headers: t.auth('read') })).json().users.map((u: { profile_id: string }) => u.profile_id)
    expect(ids).toContain(user.body.user_profile.profile_id)
  })

  it('leaves when the third-newest view turns 7 days old, through the scheduler', async () => {
    // browser-a's views were 1, 2 and 3 days before T0: the third-newest passes 7 days at T0 + 4 days.
    await t.runtime.segments.runDue(T0 + 4 * DAY - 60_000)
    expect((await members(browse)).includes('browser-a')).toBe(true)
    await t.runtime.segments.runDue(T0 + 4 * DAY + 60_000)
    expect((await members(browse)).includes('browser-a')).toBe(false)
    // Everyone else's views were hours old: by T0 + 7 days all have left.
    await t.runtime.segments.runDue(T0 + 7 * DAY + 60_000)
    expect(await members(browse)).toEqual([])
  })
})
