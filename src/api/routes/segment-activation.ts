// Activation of a segment: its change stream (JSON pages, long-poll, Server-Sent Events) and the
// webhooks that push its changes to other systems.
import { randomBytes, randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { ChangeNotifier } from '../../activation/notifier.ts'
import { decodeChangeCursor, encodeChangeCursor } from '../../activation/webhooks/cursor.ts'
import type { WebhookDispatcher } from '../../activation/webhooks/dispatcher.ts'
import { changeJsonSchema, changeToJson } from '../../activation/webhooks/payload.ts'
import type { ActivationStore, Webhook } from '../../activation/webhooks/store.ts'
import { errorResponseSchema } from '../errors.ts'

export interface SegmentActivationDependencies {
  store: ActivationStore
  notifier: ChangeNotifier
  /**
   * Told about new webhooks so their first delivery does not wait for a sweep; asked whether it
   * would deliver to a URL, so a refused target is a 400 at registration and not a failing delivery.
   */
  dispatcher: Pick<WebhookDispatcher, 'kick' | 'forget' | 'checkTarget'>
  /** Comment lines that keep idle event streams open through proxies (default 15 s). */
  heartbeatMs?: number
  /**
   * How often waiting long-polls and open streams re-read the log (default 5 s). The notifier wakes
   * them at once for changes made in this process; this catches those committed by other processes.
   */
  pollMs?: number
}

const MAX_PAGE = 1000
const MAX_WAIT_SECONDS = 30
const STREAM_BATCH = 500
// Counting a webhook's backlog stops here, so listing webhooks stays fast however far behind one is.
const LAG_COUNT_CAP = 10_000

const segmentParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'segment id or name' } },
  required: ['id'],
} as const

const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    segment_id: { type: 'string' },
    url: { type: 'string' },
    delivered_cursor: { type: 'string' },
    pending_changes: { type: 'integer' },
    attempts: { type: 'integer' },
    next_attempt_at: { type: ['string', 'null'] },
    last_error: { type: ['string', 'null'] },
    last_delivered_at: { type: ['string', 'null'] },
    created_at: { type: 'string' },
  },
} as const

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString()
}

/** The segment's id; `:id` may also be its name, as on the other segment routes. */
async function requireSegment(store: ActivationStore, idOrName: string): Promise<string> {
  const segment = await store.findSegment(idOrName)
  if (!segment) throw new AppError('not_found', `no segment "${idOrName}": GET /api/segments lists them`)
  return segment.id
}

/** The change id to continue after: 0 for "from the beginning", the newest change for "now". */
async function resolveCursor(store: ActivationStore, segmentId: string, cursor: string | undefined, source: string): Promise<number> {
  if (cursor === undefined) return 0
  if (cursor === 'now') return await store.latestChangeId(segmentId)
  const changeId = decodeChangeCursor(cursor)
  if (changeId === undefined) {
    throw new AppError(
      'invalid_input',
      `${source}: "${cursor}" is not a cursor: pass a next_cursor or change id from an earlier response unchanged, "now" for only future changes, or nothing to start at the beginning`,
    )
  }
  return changeId
}

function parseWebhookUrl(text: string, dispatcher: Pick<WebhookDispatcher, 'checkTarget'>): string {
  if (!URL.canParse(text)) throw new AppError('invalid_input', `url: must be an absolute http or https URL (got "${text}")`)
  const url = new URL(text)
  const verdict = dispatcher.checkTarget(url)
  if (verdict.kind === 'refused') throw new AppError('invalid_input', `url: ${verdict.reason}`)
  return url.href
}

/**
 * A wake-up for a waiting request: fires on the segment's notifier signal, or when `wake()` is
 * called (client gone, server closing). A signal that arrives while nobody waits is kept, so the
 * next wait returns at once: nothing committed between a read and the wait is missed.
 */
function subscribeWake(notifier: ChangeNotifier, segmentId: string) {
  let pending = false
  let release: (() => void) | undefined
  const wake = () => {
    pending = true
    release?.()
  }
  const unsubscribe = notifier.subscribe(segmentId, wake)
  return {
    wake,
    async wait(ms: number): Promise<void> {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, ms))
          release = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        release = undefined
      }
      pending = false
    },
    close: unsubscribe,
  }
}

function writeAndDrain(raw: ServerResponse, text: string): Promise<void> {
  if (raw.write(text) || raw.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done)
      raw.off('close', done)
      resolve()
    }
    raw.on('drain', done)
    raw.on('close', done)
  })
}

export async function segmentActivationRoutes(app: FastifyInstance, deps: SegmentActivationDependencies): Promise<void> {
  const { store, notifier, dispatcher } = deps
  const heartbeatMs = deps.heartbeatMs ?? 15_000
  const pollMs = deps.pollMs ?? 5_000
  // Open streams and waiting long-polls: each one's `end` function, and the promise that its response
  // has gone out. Closing ends them and waits for those responses, so that the server's close finds
  // their connections idle and need not wait for them. A request arriving while closing answers at once.
  const openWaits = new Map<() => void, Promise<void>>()
  let isClosing = false
  const track = (raw: ServerResponse, end: () => void) => {
    const isSent = new Promise<void>((resolve) => {
      raw.once('finish', resolve)
      raw.once('close', resolve)
    })
    openWaits.set(end, isSent)
  }
  app.addHook('preClose', async () => {
    isClosing = true
    const responses = [...openWaits.values()]
    for (const end of [...openWaits.keys()]) end()
    await Promise.all(responses)
  })

  app.get(
    '/api/segments/:id/changes',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Entries into and exits from a segment, in commit order',
        description: [
          'Pages through the change log after `since` (a cursor; absent = from the beginning, `now` = only future changes).',
          'With `wait` (seconds) and nothing new, the request is held until a change arrives or the wait ends.',
          'With `Accept: text/event-stream` the response is a Server-Sent Events stream: existing changes after `since`',
          '(or the `Last-Event-ID` header), then each new change as an event named `entered` or `left` whose id is its cursor;',
          'comment lines every 15 s keep it open.',
        ].join(' '),
        params: segmentParamsSchema,
        querystring: {
          type: 'object',
          properties: {
            since: { type: 'string', minLength: 1, maxLength: 200 },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
            wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              segment_id: { type: 'string' },
              changes: { type: 'array', items: changeJsonSchema },
              next_cursor: { type: 'string' },
            },
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const query = request.query as { since?: string; limit: number; wait: number }
      const isEventStream = (request.headers.accept ?? '').includes('text/event-stream')
      const lastEventId = isEventStream ? request.headers['last-event-id'] : undefined
      const segmentId = await requireSegment(store, id)
      const resumeFrom = typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined
      const afterId = await resolveCursor(store, segmentId, resumeFrom ?? query.since, resumeFrom === undefined ? 'since' : 'Last-Event-ID')

      if (isEventStream) {
        reply.hijack()
        await streamChanges({ raw: reply.raw, segmentId, afterId })
        return reply
      }

      let changes = await store.listChanges({ segmentId, afterId, limit: query.limit })
      if (changes.length === 0 && query.wait > 0 && !isClosing) {
        const deadline = Date.now() + query.wait * 1000
        const waiter = subscribeWake(notifier, segmentId)
        let isOpen = true
        const end = () => {
          isOpen = false
          waiter.wake()
        }
        reply.raw.once('close', end)
        track(reply.raw, end)
        try {
          // Read again now that the subscription is live: a change committed before it is seen here.
          changes = await store.listChanges({ segmentId, afterId, limit: query.limit })
          while (changes.length === 0 && isOpen && Date.now() < deadline) {
            await waiter.wait(Math.min(deadline - Date.now(), pollMs))
            changes = await store.listChanges({ segmentId, afterId, limit: query.limit })
          }
        } finally {
          waiter.close()
          reply.raw.off('close', end)
          openWaits.delete(end)
        }
      }
      const last = changes[changes.length - 1]
      return { segment_id: segmentId, changes: changes.map(changeToJson), next_cursor: encodeChangeCursor(last ? last.id : afterId) }
    },
  )

  /** Writes every change after `afterId`, then each new one, until the client or the server goes away. */
  async function streamChanges(input: { raw: ServerResponse; segmentId: string; afterId: number }): Promise<void> {
    const { raw, segmentId } = input
    let cursor = input.afterId
    let isOpen = !isClosing
    const waiter = subscribeWake(notifier, segmentId)
    const heartbeat = setInterval(() => {
      if (!raw.destroyed && !raw.writableEnded) raw.write(': heartbeat\n\n')
    }, heartbeatMs)
    const end = () => {
      isOpen = false
      waiter.wake()
    }
    raw.once('close', end)
    track(raw, end)
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx would otherwise buffer the stream
    })
    try {
      await writeAndDrain(raw, `retry: 3000\n: changes of segment ${segmentId}\n\n`)
      while (isOpen) {
        const changes = await store.listChanges({ segmentId, afterId: cursor, limit: STREAM_BATCH })
        if (changes.length > 0) {
          const events = changes.map((change) => {
            const json = changeToJson(change)
            return `id: ${json.id}\nevent: ${json.change}\ndata: ${JSON.stringify(json)}\n\n`
          })
          await writeAndDrain(raw, events.join(''))
          cursor = (changes[changes.length - 1] as { id: number }).id
          if (changes.length === STREAM_BATCH) continue
        }
        await waiter.wait(pollMs)
      }
    } catch (error) {
      // Headers are gone, so no error body: log, end the stream; the client reconnects with Last-Event-ID.
      app.log.error({ err: error, segmentId }, 'change stream failed')
    } finally {
      clearInterval(heartbeat)
      waiter.close()
      raw.off('close', end)
      openWaits.delete(end)
      if (!raw.writableEnded) raw.end()
    }
  }

  app.post(
    '/api/segments/:id/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Register a webhook that receives the segment's changes, signed with its secret (shown only this once)",
        params: segmentParamsSchema,
        body: {
          type: 'object',
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2048 },
            secret: { type: 'string', minLength: 16, maxLength: 256 },
            from: { type: 'string', enum: ['latest', 'beginning'], default: 'latest' },
          },
          required: ['url'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              segment_id: { type: 'string' },
              url: { type: 'string' },
              secret: { type: 'string' },
              from_change: { type: 'string' },
              created_at: { type: 'string' },
            },
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const body = request.body as { url: string; secret?: string; from: 'latest' | 'beginning' }
      const url = parseWebhookUrl(body.url, dispatcher)
      const segmentId = await requireSegment(store, id)
      // By default a new webhook hears about changes from now on, not the segment's whole history.
      const deliveredChangeId = body.from === 'beginning' ? 0 : await store.latestChangeId(segmentId)
      const webhook = await store.createWebhook({
        id: `whk_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
        segmentId,
        url,
        secret: body.secret ?? randomBytes(32).toString('hex'),
        deliveredChangeId,
        now: Date.now(),
      })
      dispatcher.kick(segmentId)
      return reply.code(201).send({
        id: webhook.id,
        segment_id: webhook.segmentId,
        url: webhook.url,
        secret: webhook.secret,
        from_change: encodeChangeCursor(webhook.deliveredChangeId),
        created_at: new Date(webhook.createdAt).toISOString(),
      })
    },
  )

  app.get(
    '/api/segments/:id/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "A segment's webhooks with their delivery state (never their secrets)",
        params: segmentParamsSchema,
        response: { 200: { type: 'array', items: webhookSchema }, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const segmentId = await requireSegment(store, id)
      const webhooks = await store.listWebhooks(segmentId)
      return await Promise.all(webhooks.map(async (w) => webhookToJson(w, await store.countChangesAfter({ segmentId, afterId: w.deliveredChangeId, cap: LAG_COUNT_CAP }))))
    },
  )

  app.delete(
    '/api/segments/:id/webhooks/:webhookId',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a webhook; a delivery already in flight still completes',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 200 }, webhookId: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['id', 'webhookId'],
        },
        response: { 204: { type: 'null' }, 404: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { id, webhookId } = request.params as { id: string; webhookId: string }
      const segmentId = await requireSegment(store, id)
      if (!(await store.deleteWebhook({ segmentId, webhookId, now: Date.now() }))) {
        throw new AppError('not_found', `segment "${segmentId}" has no webhook "${webhookId}": list them with GET /api/segments/${segmentId}/webhooks`)
      }
      dispatcher.forget(webhookId)
      return reply.code(204).send()
    },
  )
}

function webhookToJson(webhook: Webhook, pendingChanges: number) {
  return {
    id: webhook.id,
    segment_id: webhook.segmentId,
    url: webhook.url,
    delivered_cursor: encodeChangeCursor(webhook.deliveredChangeId),
    pending_changes: pendingChanges,
    attempts: webhook.attempts,
    next_attempt_at: webhook.attempts > 0 ? isoOrNull(webhook.nextAttemptAt) : null,
    last_error: webhook.lastError,
    last_delivered_at: isoOrNull(webhook.lastDeliveredAt),
    created_at: new Date(webhook.createdAt).toISOString(),
  }
}
