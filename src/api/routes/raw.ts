// GET /api/raw: the raw store, e.g. the rejected records to fix and replay (admin); POST /api/raw/replay
// runs rejected records through the current rules again, as `cdp replay` without a fix does.
import type { FastifyInstance } from 'fastify'
import { jsonWithRawField, storedPayloadJson } from '../../domain/json-value.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

export async function rawRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  await replayRoute(fastify, ctx)
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.get(
    '/api/raw',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Raw records as received, with their outcome; page with after_id',
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['accepted', 'rejected', 'superseded'] },
            source: { type: 'string', minLength: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            // Ids past 2^53 are not exact as JSON numbers, and too big for a 64-bit column.
            after_id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              records: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    batch_id: { type: 'string' },
                    received_at: { type: 'string' },
                    source: { type: 'string' },
                    content_type: { type: 'string' },
                    record_index: { type: 'integer' },
                    status: { type: 'string' },
                    superseded_by: { type: ['integer', 'null'], description: 'for a superseded record: the raw record of its corrected copy' },
                    errors: {
                      type: 'array',
                      items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } } },
                    },
                    payload: { description: 'the record as received: JSON, or for a line that was not JSON, its text as a string' },
                  },
                },
              },
              next_after_id: { type: ['integer', 'null'] },
            },
          },
          400: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const q = request.query
      const rows = await ctx.store.listRawRecords({ status: q.status, source: q.source, limit: q.limit, afterId: q.after_id })
      const last = rows[rows.length - 1]
      // Written here, not by the schema's serializer: each payload is spliced in as the JSON text it
      // is stored as, so no nesting depth can overflow a serializer (the shape is the schema's).
      const records = rows.map((r) =>
        jsonWithRawField(
          {
            id: r.id,
            batch_id: r.batchId,
            received_at: new Date(r.receivedAt).toISOString(),
            source: r.source,
            content_type: r.contentType,
            record_index: r.recordIndex,
            status: r.status,
            superseded_by: r.supersededBy,
            errors: r.errors ?? [],
          },
          'payload',
          storedPayloadJson(r.payload),
        ),
      )
      const nextAfterId = rows.length === q.limit && last ? last.id : null
      return reply.type('application/json; charset=utf-8').send(`{"records":[${records.join(',')}],"next_after_id":${JSON.stringify(nextAfterId)}}`)
    },
  )
}

const REPLAY_PAGE = 1000

async function replayRoute(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.post(
    '/api/raw/replay',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Run rejected raw records through the current rules again (after a fix to the rules or the configuration); those that pass now are applied',
        description:
          'Selects rejected records by ids, source and reason (any of their errors), oldest first, at most `limit` per call; `next_after_id` continues. A record that still fails stays rejected. To correct records on the way (--map, --patch), use `cdp replay`.',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ids: { type: 'array', items: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, maxItems: 5000 },
            source: { type: 'string', minLength: 1 },
            reason: { type: 'string', minLength: 1, description: 'only records rejected for this reason, e.g. invalid_email' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 5000 },
            after_id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              replayed: { type: 'integer' },
              accepted: { type: 'integer' },
              still_rejected: { type: 'integer' },
              next_after_id: { type: ['integer', 'null'], description: 'more rejected records may follow: send again with this after_id' },
            },
          },
          400: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const body = request.body ?? {}
      const limit = body.limit ?? 5000
      const total = { replayed: 0, accepted: 0, still_rejected: 0 }
      let afterId = body.after_id
      let next: number | null = null
      for (;;) {
        const page = await ctx.store.listRawRecords({ status: 'rejected', source: body.source, ids: body.ids, limit: REPLAY_PAGE, afterId })
        const matching = page.filter((row) => body.reason === undefined || row.errors?.some((e) => e.reason === body.reason))
        const room = limit - total.replayed
        const rows = matching.slice(0, room)
        if (rows.length > 0) {
          const result = await ctx.pipeline.replay(rows)
          total.replayed += result.replayed
          total.accepted += result.accepted
          total.still_rejected += result.stillRejected
        }
        // Full: the next call starts after the last record taken. A record that stays rejected
        // lies behind that point, so no call takes it up twice.
        if (matching.length > room) {
          next = (rows[rows.length - 1] as (typeof rows)[number]).id
          break
        }
        const last = page[page.length - 1]
        if (!last || page.length < REPLAY_PAGE) break
        afterId = last.id
        if (total.replayed >= limit) {
          next = afterId
          break
        }
      }
      return { ...total, next_after_id: next }
    },
  )
}
