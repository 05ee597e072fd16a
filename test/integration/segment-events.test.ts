// Event conditions in segments, end to end: backfill over stored events, members leaving through the
// scheduler when an event ages out of its window, evaluation inside the ingest transaction (events
// written earlier in the same transaction count), previews and explanations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
// Fixed at the start: every event time and every scheduler run below is measured from it.
const T0 = Date.now()

let t: TestApp
/** A second connection: events are written directly, as the event API would. */
let direct: SqlDatabase

beforeAll(async () => {
  t = await createTestApp()
  direct = await openDatabase(t.database.config)
})

afterAll(async () => {
  await direct.close()
  await t.close()
})

const CART_ABANDONERS = {
  name: 'Cart abandoners',
  conditions: { all: [{ event: 'Add to Cart', within_last: { hours: 24 } }, { not: { event: 'Order Completed', within_last: { hours: 24 } } }] },
}
const BROWSE_ABANDONERS = {
  name: 'Browse abandoners',
  conditions: {
    all: [
      { event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'gte', value: 3 } },
      { event: 'Order Completed', within_last: { days: 7 }, count: { op: 'eq', value: 0 } },
    ],
  },
}

async function profileOf(cookie: string): Promise<string> {
  const response = await t.ingest({ cookie })
  expect(response.status).toBe(200)
  const id = await t.runtime.store.findProfileId('cookie', cookie)
  if (!id) throw new Error(`no profile for ${cookie}`)
  return id
}

/** Events of one visitor, each `[name, ms before T0, properties?]`. */
async function addEvents(cookie: string, events: Array<[string, number, Record<string, unknown>?]>): Promise<void> {
  const profileId = await profileOf(cookie)
  await direct.db
    .insertInto('events')
    .values(
      events.map(([name, ago, properties = {}], index) => ({
        profile_id: profileId,
        type: 'track' as const,
        name,
        properties: JSON.stringify(properties),
        context: null,
        at: T0 - ago,
        received_at: T0,
        message_id: `${cookie}-${index}-${name}`,
        raw_id: null,
        anonymous_id: cookie,
        user_id: null,
      })),
    )
    .execute()
}

async function createSegment(body: unknown): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: body as object })
  expect(response.statusCode, response.body).toBe(201)
  return response.json().id
}

async function members(id: string): Promise<string[]> {
  const response = await t.app.inject({ method: 'GET', url: `/api/segments/${id}/users?limit=1000`, headers: t.auth('read') })
  return response.json().users.map((u: { cookie: string }) => u.cookie).sort()
}

describe('event segments', () => {
  let cart: string
  let browse: string

  it('backfills members from stored events', async () => {
    await addEvents('cart-1', [['Add to Cart', 2 * HOUR]])
    await addEvents('cart-2', [['Add to Cart', 3 * HOUR], ['Order Completed', HOUR]])
    await addEvents('cart-3', [['Add to Cart', 30 * HOUR]])
    await addEvents('cart-4', [['add to cart', HOUR]])
    await addEvents('browse-1', [['Product Viewed', 1 * DAY], ['Product Viewed', 2 * DAY], ['Product Viewed', 5 * DAY], ['Product Viewed', 10 * DAY]])
    await addEvents('browse-2', [['Product Viewed', 1 * DAY], ['Product Viewed', 2 * DAY], ['Product Viewed', 3 * DAY], ['Order Completed', 3 * DAY]])
    await addEvents('browse-3', [['Product Viewed', 1 * DAY], ['Product Viewed', 8 * DAY], ['Product Viewed', 9 * DAY]])
    // An order more than 7 days ago does not stop browse abandonment.
    await addEvents('browse-4', [['Product Viewed', 1 * HOUR], ['Product Viewed', 2 * HOUR], ['Product Viewed', 3 * HOUR], ['Order Completed', 8 * DAY]])

    cart = await createSegment(CART_ABANDONERS)
    browse = await createSegment(BROWSE_ABANDONERS)
    for (const id of [cart, browse]) await t.runtime.segments.backfill(id)
    expect(await members(cart)).toEqual(['cart-1'])
    expect(await members(browse)).toEqual(['browse-1', 'browse-4'])
  })

  it('previews the same audience in SQL', async () => {
    for (const definition of [CART_ABANDONERS, BROWSE_ABANDONERS]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: t.auth('read'), payload: { conditions: definition.conditions } })
      expect(response.statusCode, response.body).toBe(200)
      const cookies = response.json().sample.map((s: { cookie: string }) => s.cookie).sort()
      expect(cookies).toEqual(definition === CART_ABANDONERS ? ['cart-1'] : ['browse-1', 'browse-4'])
    }
  })

  it('backfills a count over all time in SQL', async () => {
    const buyers = await createSegment({ name: 'Buyers', conditions: { event: 'Order Completed', count: { op: 'gte', value: 1 } } })
    await t.runtime.segments.backfill(buyers)
    expect(await members(buyers)).toEqual(['browse-2', 'browse-4', 'cart-2'])
  })

  it('explains the count and times it saw', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/user?cookie=browse-1&explain=1', headers: t.auth('read') })
    const details = response.json().user_profile.segment_details as Array<{ name: string; member: boolean; conditions: { children: Array<{ description: string; held: boolean; actual: unknown }> } }>
    const shown = details.find((d) => d.name === 'Browse abandoners')
    expect(shown?.member).toBe(true)
    expect(shown?.conditions.children[0]).toEqual({
      path: 'conditions.all[0]',
      description: 'event "Product Viewed", at least 3 times in the last 7 days',
      held: true,
      actual: { count: 3, first: new Date(T0 - 5 * DAY).toISOString(), last: new Date(T0 - DAY).toISOString() },
    })
  })

  // The scheduler runs below move the clock forward, so they come in order.
  it('lets cart abandoners leave when their Add to Cart is 24 hours old, through the scheduler', async () => {
    await t.runtime.segments.runDue(T0 + 22 * HOUR - 60_000)
    expect(await members(cart)).toEqual(['cart-1'])
    await t.runtime.segments.runDue(T0 + 22 * HOUR + 60_000)
    expect(await members(cart)).toEqual([])
    const changes = await t.runtime.store.listChanges({ segmentId: cart, afterId: undefined, limit: 100 })
    expect(changes.at(-1)).toMatchObject({ change: 'left', reason: 'time window passed' })
  })

  it('lets browse abandoners leave when their third-newest view is older than 7 days', async () => {
    // browse-4's third-newest view is 3 hours old at T0; browse-1's is 5 days old.
    await t.runtime.segments.runDue(T0 + 2 * DAY - 60_000)
    expect(await members(browse)).toEqual(['browse-1', 'browse-4'])
    await t.runtime.segments.runDue(T0 + 2 * DAY + 60_000)
    expect(await members(browse)).toEqual(['browse-4'])
    await t.runtime.segments.runDue(T0 + 7 * DAY - 3 * HOUR + 60_000)
    expect(await members(browse)).toEqual([])
  })

  it('backfills a last-occurrence test, and lets members enter when their last order turns 7 days old', async () => {
    const lapsed = await createSegment({ name: 'Lapsed buyers', conditions: { event: 'Order Completed', last: { op: 'before_last', value: { days: 7 } } } })
    await t.runtime.segments.backfill(lapsed)
    expect(await members(lapsed)).toEqual(['browse-4'])
    await t.runtime.segments.runDue(T0 + 4 * DAY + 60_000)
    expect(await members(lapsed)).toEqual(['browse-2', 'browse-4'])
  })

  it('evaluates events inside the ingest transaction: entering on Add to Cart, leaving on Order Completed', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`${t.keys.ingest}:`).toString('base64')}`, 'content-type': 'application/json' }
    const track = async (event: string, messageId: string) => {
      const response = await t.app.inject({ method: 'POST', url: '/v1/track', headers: basic, payload: { anonymousId: 'shopper-v1', event, messageId } })
      expect(response.statusCode, response.body).toBe(200)
    }
    await track('Add to Cart', 'shopper-v1-1')
    expect(await members(cart)).toEqual(['shopper-v1'])
    await track('Order Completed', 'shopper-v1-2')
    expect(await members(cart)).toEqual([])
    const reasons = (await t.runtime.store.listChanges({ segmentId: cart, afterId: undefined, limit: 100 })).slice(-2)
    expect(reasons.map((c) => c.change)).toEqual(['entered', 'left'])
  })

  it('sees stored events when a profile changes for another reason', async () => {
    await addEvents('cart-5', [['Add to Cart', 0]])
    expect(await members(cart)).toEqual([])
    await t.ingest({ cookie: 'cart-5', demographics: { age: 40 } })
    expect(await members(cart)).toEqual(['cart-5'])
  })
})
