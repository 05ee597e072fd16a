// GET /api/raw: the raw store, e.g. the rejected records to fix and replay (admin).
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

export async function rawRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
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
                    payload: {},
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
    async (request) => {
      const q = request.query
      const rows = await ctx.store.listRawRecords({ status: q.status, source: q.source, limit: q.limit, afterId: q.after_id })
      const last = rows[rows.length - 1]
      return {
        records: rows.map((r) => ({
          id: r.id,
          batch_id: r.batchId,
          received_at: new Date(r.receivedAt).toISOString(),
          source: r.source,
          content_type: r.contentType,
          record_index: r.recordIndex,
          status: r.status,
          superseded_by: r.supersededBy,
          errors: r.errors ?? [],
          payload: parsePayload(r.payload),
        })),
        next_after_id: rows.length === q.limit && last ? last.id : null,
      }
    },
  )
}

/** The payload as JSON when it is JSON; an unparseable line comes back as the text received. */
function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload)
  } catch (error) {
    // Only a syntax error means "not JSON": the raw store keeps such lines as sent. Anything else is a bug.
    if (!(error instanceof SyntaxError)) throw error
    return payload
  }
}
