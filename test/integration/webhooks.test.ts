// Webhooks: registration over the API, and delivery to real HTTP receivers: signatures, batching,
// retries with backoff, isolation between endpoints, and resuming after a restart.
import { once } from 'node:events'
import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChangeNotifier } from '../../src/activation/notifier.ts'
import { decodeChangeCursor, encodeChangeCursor } from '../../src/activation/webhooks/cursor.ts'
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/activation/webhooks/dispatcher.ts'
import { verifySignature } from '../../src/activation/webhooks/signature.ts'
import type { ActivationStore } from '../../src/storage/ports/activation.ts'
import { createTargetGuard } from '../../src/activation/webhooks/target.ts'
import { createActivationStore } from '../../src/storage/sql/activation-store.ts'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { buildActivationApp, insertSegment, waitUntil as waitFor } from '../helpers/activation.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

// --- fixtures -------------------------------------------------------------------------------

let t: TestApp
let database: SqlDatabase
let store: ActivationStore
let app: FastifyInstance
const notifier = new ChangeNotifier()
/** The dispatcher of the running test; the API's kicks go to it. */
let dispatcher: WebhookDispatcher | undefined
const receivers: Receiver[] = []


beforeAll(async () => {
  // The receivers listen on 127.0.0.1, which webhooks may reach only when the setting allows it.
  t = await createTestApp({ CDP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' })
  const targets = createTargetGuard(t.database.config.webhookTargets)
  // A second handle on the test database: the runtime does not expose its SqlDatabase.
  database = await openDatabase(t.database.config)
  store = createActivationStore(database)
  app = await buildActivationApp(t.runtime.store, {
    store,
    notifier,
    dispatcher: { kick: (segmentId) => dispatcher?.kick(segmentId), forget: (webhookId) => dispatcher?.forget(webhookId), checkTarget: (url) => targets.checkUrl(url) },
  })
})

afterEach(async () => {
  // Receivers first: closing a hanging one fails its request at once, so stop() need not wait for the timeout.
  for (const receiver of receivers.splice(0)) await receiver.close()
  await dispatcher?.stop()
  dispatcher = undefined
  // Each test's webhooks end with it, so later dispatchers do not deliver them.
  await database.db.updateTable('webhooks').set({ deleted_at: Date.now() }).where('deleted_at', 'is', null).execute()
})

afterAll(async () => {
  await app.close()
  await database.close()
  await t.close()
})

function startDispatcher(options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  const started = new WebhookDispatcher({
    store,
    notifier,
    backoff: { baseMs: 50, capMs: 400 },
    sweepIntervalMs: 100,
    requestTimeoutMs: 2_000,
    targets: t.database.config.webhookTargets,
    ...options,
  })
  started.start()
  dispatcher = started
  return started
}

const aSegment = () => insertSegment(database)

/** Writes `count` changes the way the segment engine does (one transaction), and returns their ids in order. */
async function addChanges(segmentId: string, count: number, options: { notify?: boolean } = {}): Promise<number[]> {
  const now = Date.now()
  const start = Number((await database.db.selectFrom('segment_changes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  const rows = Array.from({ length: count }, (_, i) => ({
    segment_id: segmentId,
    profile_id: `prof_${start + i}`,
    change: i % 2 === 0 ? ('entered' as const) : ('left' as const),
    reason: 'test',
    at: now,
  }))
  await database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 100) await trx.insertInto('segment_changes').values(rows.slice(i, i + 100)).execute()
  })
  if (options.notify ?? true) notifier.notify([segmentId])
  const ids = await database.db.selectFrom('segment_changes').select('id').where('segment_id', '=', segmentId).orderBy('id', 'desc').limit(count).execute()
  return ids.map((r) => Number(r.id)).reverse()
}

async function aWebhook(segmentId: string, url: string, from: 'beginning' | 'latest' = 'beginning'): Promise<{ id: string; secret: string }> {
  const response = await app.inject({ method: 'POST', url: `/api/segments/${segmentId}/webhooks`, headers: t.auth('admin'), payload: { url, from } })
  expect(response.statusCode).toBe(201)
  return response.json<{ id: string; secret: string }>()
}

interface DeliveryBody {
  webhook_id: string
  segment_id: string
  delivery_id: string
  changes: Array<{ id: string; change: string; profile_id: string; reason: string; at: string }>
}

interface Delivery {
  headers: IncomingHttpHeaders
  rawBody: string
  body: DeliveryBody
  receivedAt: number
}

interface Receiver {
  url: string
  deliveries: Delivery[]
  close(): Promise<void>
}

/** A real HTTP endpoint on 127.0.0.1; `respond` returns the status (or never resolves, to hang). */
async function startReceiver(respond: (delivery: Delivery, index: number) => number | Promise<number> = () => 200): Promise<Receiver> {
  const deliveries: Delivery[] = []
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const delivery = { headers: request.headers, rawBody, body: JSON.parse(rawBody) as DeliveryBody, receivedAt: Date.now() }
      deliveries.push(delivery)
      void Promise.resolve(respond(delivery, deliveries.length - 1)).then((status) => {
        response.statusCode = status
        response.end()
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  receivers.push(receiver)
  return receiver
}

/** A URL where nothing listens: connections are refused. */
async function aDeadUrl(): Promise<string> {
  const server = http.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/hook`
}

const waitUntil = (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000) => waitFor(condition, what, timeoutMs)

const changeIds = (deliveries: Delivery[]) => deliveries.flatMap((d) => d.body.changes.map((c) => decodeChangeCursor(c.id)))

async function webhookRow(id: string) {
  return await database.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

// --- the API --------------------------------------------------------------------------------

describe('webhook API', () => {
  it('registers a webhook from the latest change by default, with a generated 32-byte secret', async () => {
    const segmentId = await aSegment()
    const ids = await addChanges(segmentId, 3)
    const response = await app.inject({
      method: 'POST',
      url: `/api/segments/${segmentId}/webhooks`,
      headers: t.auth('admin'),
      payload: { url: 'https://crm.example.com/hooks/cdp' },
    })
    expect(response.statusCode).toBe(201)
    const body = response.json<{ id: string; segment_id: string; url: string; secret: string; from_change: string }>()
    expect(body).toMatchObject({ segment_id: segmentId, url: 'https://crm.example.com/hooks/cdp', from_change: encodeChangeCursor(ids[2] as number) })
    expect(body.id).toMatch(/^whk_/)
    expect(body.secret).toMatch(/^[0-9a-f]{64}$/)
    const row = await webhookRow(body.id)
    expect(row).toMatchObject({ segment_id: segmentId, secret: body.secret, attempts: 0, deleted_at: null })
    expect(Number(row.delivered_change_id)).toBe(ids[2])
  })

  it('starts from the beginning when asked, and keeps a secret the caller chose', async () => {
    const segmentId = await aSegment()
    await addChanges(segmentId, 2)
    const response = await app.inject({
      method: 'POST',
      url: `/api/segments/${segmentId}/webhooks`,
      headers: t.auth('admin'),
      payload: { url: 'https://hooks.example.com/in', secret: 'my-own-secret-of-some-length', from: 'beginning' },
    })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({ secret: 'my-own-secret-of-some-length', from_change: encodeChangeCursor(0) })
  })

  it('lists webhooks with their delivery state and lag, never their secrets', async () => {
    const segmentId = await aSegment()
    const webhook = await aWebhook(segmentId, 'https://example.com/a')
    await addChanges(segmentId, 4, { notify: false })
    const response = await app.inject({ method: 'GET', url: `/api/segments/${segmentId}/webhooks`, headers: t.auth('admin') })
    expect(response.statusCode).toBe(200)
    const list = response.json<Array<Record<string, unknown>>>()
    expect(list).toEqual([
      {
        id: webhook.id,
        segment_id: segmentId,
        url: 'https://example.com/a',
        delivered_cursor: encodeChangeCursor(0),
        pending_changes: 4,
        required_consent: [],
        attempts: 0,
        next_attempt_at: null,
        last_error: null,
        last_delivered_at: null,
        created_at: expect.any(String),
      },
    ])
    expect(response.body).not.toContain(webhook.secret)
  })

  it('deletes a webhook (soft), after which it is neither listed nor deletable', async () => {
    const segmentId = await aSegment()
    const webhook = await aWebhook(segmentId, 'https://example.com/a')
    const url = `/api/segments/${segmentId}/webhooks/${webhook.id}`
    expect((await app.inject({ method: 'DELETE', url, headers: t.auth('admin') })).statusCode).toBe(204)
    expect((await webhookRow(webhook.id)).deleted_at).not.toBeNull()
    const again = await app.inject({ method: 'DELETE', url, headers: t.auth('admin') })
    expect(again.statusCode).toBe(404)
    expect(again.json<{ error: { message: string } }>().error.message).toContain(`GET /api/segments/${segmentId}/webhooks`)
    expect((await app.inject({ method: 'GET', url: `/api/segments/${segmentId}/webhooks`, headers: t.auth('admin') })).json()).toEqual([])
  })

  it('rejects non-http URLs, unknown segments, unknown fields and keys without the admin scope', async () => {
    const segmentId = await aSegment()
    const post = (payload: unknown, headers: Record<string, string> = t.auth('admin'), segment = segmentId) =>
      app.inject({ method: 'POST', url: `/api/segments/${segment}/webhooks`, headers, payload: payload as object })

    const ftp = await post({ url: 'ftp://example.com/x' })
    expect(ftp.statusCode).toBe(400)
    expect(ftp.json<{ error: { message: string } }>().error.message).toBe('url: must use http or https (got "ftp")')
    const relative = await post({ url: '/hooks' })
    expect(relative.statusCode).toBe(400)
    expect(relative.json<{ error: { message: string } }>().error.message).toContain('absolute http or https URL')
    expect((await post({ url: 'https://example.com', secret: 'short' })).statusCode).toBe(400)
    expect((await post({ url: 'https://example.com', extra: 1 })).statusCode).toBe(400)
    const unknown = await post({ url: 'https://example.com' }, t.auth('admin'), 'seg_nope')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json<{ error: { message: string } }>().error.message).toBe('no segment "seg_nope": GET /api/segments lists them')
    expect((await post({ url: 'https://example.com' }, t.auth('read'))).statusCode).toBe(403)
    expect((await post({ url: 'https://example.com' }, {})).statusCode).toBe(401)
    expect(await database.db.selectFrom('webhooks').select('id').where('segment_id', '=', segmentId).execute()).toEqual([])
  })
})

// --- delivery -------------------------------------------------------------------------------

describe('webhook delivery', () => {
  it('posts changes signed with the webhook secret, and advances the cursor on a 2xx', async () => {
    startDispatcher()
    const segmentId = await aSegment()
    let secret = ''
    const verdicts: boolean[] = []
    const receiver = await startReceiver((delivery) => {
      const { headers } = delivery
      verdicts.push(verifySignature(secret, String(headers['x-cdp-timestamp']), delivery.rawBody, String(headers['x-cdp-signature'])))
      return 204
    })
    const webhook = await aWebhook(segmentId, receiver.url, 'latest')
    secret = webhook.secret
    const ids = await addChanges(segmentId, 3)

    await waitUntil(() => receiver.deliveries.length === 1, 'the delivery arrives')
    const [delivery] = receiver.deliveries as [Delivery]
    expect(verdicts).toEqual([true])
    expect(verifySignature('another-secret', String(delivery.headers['x-cdp-timestamp']), delivery.rawBody, String(delivery.headers['x-cdp-signature']))).toBe(false)
    expect(delivery.headers['content-type']).toBe('application/json')
    expect(delivery.headers['x-cdp-delivery']).toBe(delivery.body.delivery_id)
    expect(Math.abs(Number(delivery.headers['x-cdp-timestamp']) - Date.now() / 1000)).toBeLessThan(10)
    expect(delivery.body).toMatchObject({ webhook_id: webhook.id, segment_id: segmentId })
    expect(delivery.body.delivery_id).toMatch(/^dlv_/)
    expect(delivery.body.changes).toEqual(
      ids.map((id, i) => ({ id: encodeChangeCursor(id), change: i % 2 === 0 ? 'entered' : 'left', profile_id: expect.stringMatching(/^prof_/), reason: 'test', at: expect.any(String) })),
    )

    await waitUntil(async () => Number((await webhookRow(webhook.id)).delivered_change_id) === ids[2], 'the cursor advances')
    const row = await webhookRow(webhook.id)
    expect(row).toMatchObject({ attempts: 0, last_error: null })
    expect(row.last_delivered_at).not.toBeNull()
  })

  it('delivers a new webhook registered from the beginning at once, without waiting for a change', async () => {
    const segmentId = await aSegment()
    const ids = await addChanges(segmentId, 5, { notify: false })
    startDispatcher({ sweepIntervalMs: 60_000 }) // only the registration's kick can trigger this delivery
    const receiver = await startReceiver()
    await aWebhook(segmentId, receiver.url, 'beginning')
    await waitUntil(() => receiver.deliveries.length === 1, 'the backlog is delivered')
    expect(changeIds(receiver.deliveries)).toEqual(ids)
  })

  it('sends 250 changes as three deliveries of at most 100, in order', async () => {
    startDispatcher()
    const segmentId = await aSegment()
    const receiver = await startReceiver()
    const webhook = await aWebhook(segmentId, receiver.url, 'latest')
    const ids = await addChanges(segmentId, 250)

    await waitUntil(() => receiver.deliveries.length === 3, 'three deliveries arrive')
    expect(receiver.deliveries.map((d) => d.body.changes.length)).toEqual([100, 100, 50])
    expect(changeIds(receiver.deliveries)).toEqual(ids)
    expect(new Set(receiver.deliveries.map((d) => d.body.delivery_id)).size).toBe(3)
    await waitUntil(async () => Number((await webhookRow(webhook.id)).delivered_change_id) === ids[249], 'the cursor reaches the last change')
  })

  it('retries a failing endpoint with exponential backoff, under the same delivery id, until it succeeds', async () => {
    startDispatcher({ backoff: { baseMs: 100, capMs: 1_000 } })
    const segmentId = await aSegment()
    const stateSeenOnRetry: Array<{ attempts: number; lastError: string | null }> = []
    const receiver = await startReceiver(async (delivery, index) => {
      if (index > 0) {
        const row = await webhookRow(delivery.body.webhook_id)
        stateSeenOnRetry.push({ attempts: row.attempts, lastError: row.last_error })
      }
      return index < 2 ? 500 : 200
    })
    const webhook = await aWebhook(segmentId, receiver.url, 'latest')
    const ids = await addChanges(segmentId, 2)

    await waitUntil(async () => Number((await webhookRow(webhook.id)).delivered_change_id) === ids[1], 'the third attempt succeeds')
    const times = receiver.deliveries.map((d) => d.receivedAt)
    expect(times).toHaveLength(3)
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(95) // 1st retry after ~base
    expect((times[2] as number) - (times[1] as number)).toBeGreaterThanOrEqual(195) // 2nd after ~2 × base
    expect(stateSeenOnRetry).toEqual([
      { attempts: 1, lastError: 'HTTP 500' },
      { attempts: 2, lastError: 'HTTP 500' },
    ])
    expect(new Set(receiver.deliveries.map((d) => d.body.delivery_id)).size).toBe(1)
    expect(await webhookRow(webhook.id)).toMatchObject({ attempts: 0, last_error: null })
  })

  it('keeps delivering to a healthy endpoint while another hangs and a third refuses connections', async () => {
    startDispatcher({ requestTimeoutMs: 10_000 })
    const segmentId = await aSegment()
    const hanging = await startReceiver(() => new Promise<number>(() => {}))
    const healthy = await startReceiver()
    const down = await aWebhook(segmentId, await aDeadUrl(), 'latest')
    await aWebhook(segmentId, hanging.url, 'latest')
    await aWebhook(segmentId, healthy.url, 'latest')

    const first = await addChanges(segmentId, 1)
    await waitUntil(() => healthy.deliveries.length === 1 && hanging.deliveries.length === 1, 'both reachable endpoints got a request', 2_000)
    // The hanging endpoint still holds its first request; the healthy one goes on receiving.
    const second = await addChanges(segmentId, 1)
    await waitUntil(() => healthy.deliveries.length === 2, 'the healthy endpoint gets the next change too', 2_000)
    expect(changeIds(healthy.deliveries)).toEqual([...first, ...second])
    expect(hanging.deliveries).toHaveLength(1)
    await waitUntil(async () => (await webhookRow(down.id)).attempts > 0, 'the refused delivery is recorded', 2_000)
    const row = await webhookRow(down.id)
    expect(row.last_error).toMatch(/ECONNREFUSED|fetch failed/)
    expect(Number(row.next_attempt_at)).toBeGreaterThan(0)
  })

  it('records a timeout when an endpoint does not answer in time', async () => {
    startDispatcher({ requestTimeoutMs: 200 })
    const segmentId = await aSegment()
    const hanging = await startReceiver(() => new Promise<number>(() => {}))
    const webhook = await aWebhook(segmentId, hanging.url, 'latest')
    await addChanges(segmentId, 1)
    await waitUntil(async () => (await webhookRow(webhook.id)).attempts > 0, 'the timeout is recorded')
    expect((await webhookRow(webhook.id)).last_error).toBe('no response within 200 ms')
  })

  it('finds changes committed without a notification (by another process) on its sweep', async () => {
    startDispatcher({ sweepIntervalMs: 100 })
    const segmentId = await aSegment()
    const receiver = await startReceiver()
    await aWebhook(segmentId, receiver.url, 'latest')
    const ids = await addChanges(segmentId, 2, { notify: false })
    await waitUntil(() => receiver.deliveries.length === 1, 'the sweep delivers', 2_000)
    expect(changeIds(receiver.deliveries)).toEqual(ids)
  })

  it('stops delivering to a deleted webhook', async () => {
    startDispatcher()
    const segmentId = await aSegment()
    const receiver = await startReceiver()
    const webhook = await aWebhook(segmentId, receiver.url, 'latest')
    await app.inject({ method: 'DELETE', url: `/api/segments/${segmentId}/webhooks/${webhook.id}`, headers: t.auth('admin') })
    await addChanges(segmentId, 2)
    await new Promise((resolve) => setTimeout(resolve, 300)) // three sweeps
    expect(receiver.deliveries).toEqual([])
  })

  it('resumes after a restart mid-delivery: every change arrives at least once and the cursor ends at the last change', async () => {
    const segmentId = await aSegment()
    let holdSecondDelivery = true
    let held: Delivery | undefined
    const receiver = await startReceiver((delivery, index) => {
      if (index === 1 && holdSecondDelivery) {
        held = delivery
        return new Promise<number>(() => {}) // the process "dies" before the endpoint answers
      }
      return 200
    })
    const webhook = await aWebhook(segmentId, receiver.url, 'latest')
    const first = startDispatcher({ requestTimeoutMs: 500 })
    const ids = await addChanges(segmentId, 250)
    await waitUntil(() => held !== undefined, 'the second delivery is in flight')

    await first.stop() // waits for the in-flight request, which times out unacknowledged
    const afterStop = await webhookRow(webhook.id)
    expect(Number(afterStop.delivered_change_id)).toBe(ids[99])
    expect(afterStop.attempts).toBe(1)
    const countAfterStop = receiver.deliveries.length

    holdSecondDelivery = false
    startDispatcher() // a new process over the same database
    await waitUntil(async () => Number((await webhookRow(webhook.id)).delivered_change_id) === ids[249], 'the cursor reaches the last change')

    expect(countAfterStop).toBe(2) // the stopped dispatcher sent nothing after stop()
    const received = new Set(changeIds(receiver.deliveries))
    expect(ids.every((id) => received.has(id))).toBe(true)
    // The unacknowledged batch is sent again under the same delivery id, so the receiver can de-duplicate it.
    const redelivered = receiver.deliveries.slice(2).find((d) => d.body.delivery_id === held?.body.delivery_id)
    expect(redelivered?.body.changes).toEqual(held?.body.changes)
    expect(await webhookRow(webhook.id)).toMatchObject({ attempts: 0, last_error: null })
  })
})
