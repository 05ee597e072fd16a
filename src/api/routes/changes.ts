// GET /api/segments/:id/changes: a segment's entries and exits, as JSON pages, as a long-poll, or
// as a Server-Sent Events stream. Reading and waiting live in activation/change-stream.ts.
import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import { createChangeStream } from '../../activation/change-stream.ts'
import type { ChangeNotifier } from '../../activation/notifier.ts'
import { decodeChangeCursor, encodeChangeCursor } from '../../activation/webhooks/cursor.ts'
import { changeJsonSchema, changeToJson } from '../../activation/webhooks/payload.ts'
import type { ActivationStore } from '../../storage/ports/activation.ts'
import { errorResponseSchema } from '../errors.ts'
import { MAX_PAGE } from '../http/pagination.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { requireSegment, segmentParamsSchema } from '../http/segment-lookup.ts'
import { formatEvent, openEventStream } from '../http/sse.ts'

export interface ChangeRouteDependencies {
  store: ActivationStore
  notifier: ChangeNotifier
  /** Comment lines that keep idle event streams open through proxies (default 15 s). */
  heartbeatMs?: number
  /**
   * How often waiting long-polls and open streams re-read the log (default 5 s). The notifier wakes
   * them at once for changes made in this process; this catches those committed by other processes.
   */
  pollMs?: number
}

const MAX_WAIT_SECONDS = 30
const STREAM_BATCH = 500

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

export async function changeRoutes(fastify: FastifyInstance, deps: ChangeRouteDependencies): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  const { store } = deps
  const heartbeatMs = deps.heartbeatMs ?? 15_000
  const stream = createChangeStream({ store, notifier: deps.notifier, pollMs: deps.pollMs ?? 5_000 })
  // Open streams and waiting long-polls: each one's `end` function, and the promise that its response
  // has gone out. Closing ends them and waits for those responses, so that the server's close finds
  // their connections idle and need not wait for them. A request arriving while closing answers at once.
  const openWaits = new Map<() => void, Promise<void>>()
  let isClosing = false
  /** Ends the wait when the client goes away or the server closes; `release` forgets it once answered. */
  const holdOpen = (raw: ServerResponse) => {
    const controller = new AbortController()
    const end = () => controller.abort()
    raw.once('close', end)
    const isSent = new Promise<void>((resolve) => {
      raw.once('finish', resolve)
      raw.once('close', resolve)
    })
    openWaits.set(end, isSent)
    if (isClosing) end()
    return {
      signal: controller.signal,
      release: () => {
        raw.off('close', end)
        openWaits.delete(end)
      },
    }
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
      const { id } = request.params
      const query = request.query
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
        const until = Date.now() + query.wait * 1000
        const hold = holdOpen(reply.raw)
        try {
          changes = await stream.waitForChanges({ segmentId, afterId, limit: query.limit, until, signal: hold.signal })
        } finally {
          hold.release()
        }
      }
      const last = changes[changes.length - 1]
      return { segment_id: segmentId, changes: changes.map(changeToJson), next_cursor: encodeChangeCursor(last ? last.id : afterId) }
    },
  )

  /** Writes every change after `afterId`, then each new one, until the client or the server goes away. */
  async function streamChanges(input: { raw: ServerResponse; segmentId: string; afterId: number }): Promise<void> {
    const { raw, segmentId, afterId } = input
    const hold = holdOpen(raw)
    const events = openEventStream(raw, { heartbeatMs })
    try {
      await events.write(`retry: 3000\n: changes of segment ${segmentId}\n\n`)
      for await (const changes of stream.follow({ segmentId, afterId, batch: STREAM_BATCH, signal: hold.signal })) {
        await events.write(
          changes
            .map((change) => {
              const json = changeToJson(change)
              return formatEvent({ id: json.id, event: json.change, data: json })
            })
            .join(''),
        )
      }
    } catch (error) {
      // Headers are gone, so no error body: log, end the stream; the client reconnects with Last-Event-ID.
      app.log.error({ err: error, segmentId }, 'change stream failed')
    } finally {
      hold.release()
      events.close()
    }
  }
}
