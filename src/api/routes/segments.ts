// Business segments: CRUD with versions, members, preview and export.
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { exportMembers } from '../../activation/export.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SegmentRow } from '../../domain/segment.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { decodeCursor, encodeCursor, pageQuerySchema, refuseOffsetWithCursor } from '../http/pagination.ts'

const segmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    conditions: { type: 'object', additionalProperties: true },
    required_consent: { type: 'array', items: { type: 'string' } },
    version: { type: 'integer' },
    members: { type: 'integer' },
    state: { type: 'string', enum: ['backfilling', 'ready'] },
    backfill: { type: 'object', properties: { processed: { type: 'integer' }, total: { type: 'integer' }, percent: { type: 'number' } } },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const

const requiredConsentSchema = {
  type: 'array',
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 64 },
  description: 'consent purposes every member must have granted; profiles without all of them are not members (see docs/privacy.md)',
} as const

const segmentBodySchema = {
  type: 'object',
  required: ['name', 'conditions'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 120 },
    description: { type: 'string', maxLength: 1000 },
    conditions: { type: 'object', description: 'nested all / any / not over conditions; see docs/segments.md' },
    required_consent: requiredConsentSchema,
  },
} as const

const memberSchema = {
  type: 'object',
  properties: { profile_id: { type: 'string' }, cookie: { type: ['string', 'null'] }, email: { type: ['string', 'null'] }, entered_at: { type: 'string' } },
} as const

const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'] } as const

export function segmentBody(row: SegmentRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    conditions: row.definition,
    required_consent: [...row.requiredConsent],
    version: row.version,
    members: row.members,
    state: row.state,
    backfill: {
      processed: row.backfillProcessed,
      total: row.backfillTotal,
      percent: row.state === 'ready' ? 100 : row.backfillTotal === 0 ? 0 : Math.round((row.backfillProcessed / row.backfillTotal) * 1000) / 10,
    },
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  }
}

export async function segmentRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  const segments = ctx.segments

  app.post(
    '/api/segments',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create a segment; its members are backfilled in the background (progress on GET /api/segments/:id)',
        body: segmentBodySchema,
        response: { 201: segmentSchema, 400: errorResponseSchema, 409: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { required_consent: requiredConsent, ...input } = request.body
      const row = await segments.create({ ...input, requiredConsent })
      return reply.code(201).send(segmentBody(row))
    },
  )

  app.get(
    '/api/segments',
    { config: { scope: 'read' }, schema: { summary: 'Every segment', response: { 200: { type: 'array', items: segmentSchema } } } },
    async () => (await ctx.store.listSegments()).map(segmentBody),
  )

  app.post(
    '/api/segments/preview',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'How many profiles a definition selects now, with up to 20 of them; nothing is saved',
        body: { type: 'object', required: ['conditions'], additionalProperties: false, properties: { conditions: { type: 'object' }, required_consent: requiredConsentSchema } },
        response: {
          200: { type: 'object', properties: { count: { type: 'integer' }, sample: { type: 'array', items: memberSchema }, took_ms: { type: 'integer' } } },
          400: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const result = await segments.preview(request.body.conditions, request.body.required_consent)
      return {
        count: result.count,
        sample: result.sample.map((m) => ({ profile_id: m.profileId, cookie: m.cookie, email: m.email, entered_at: new Date(m.enteredAt).toISOString() })),
        took_ms: result.tookMs,
      }
    },
  )

  app.get(
    '/api/segments/:id',
    {
      config: { scope: 'read' },
      schema: { summary: 'One segment (by id or name) with its backfill progress', params: idParams, response: { 200: segmentSchema, 404: errorResponseSchema } },
    },
    async (request) => segmentBody(await segments.require(request.params.id)),
  )

  app.get(
    '/api/segments/:id/versions',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Every version of a segment definition, oldest first',
        params: idParams,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                version: { type: 'integer' },
                name: { type: 'string' },
                description: { type: 'string' },
                conditions: { type: 'object', additionalProperties: true },
                required_consent: { type: 'array', items: { type: 'string' } },
                created_at: { type: 'string' },
              },
            },
          },
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const row = await segments.require(request.params.id)
      return (await ctx.store.listSegmentVersions(row.id)).map((v) => ({
        version: v.version,
        name: v.name,
        description: v.description,
        conditions: v.definition,
        required_consent: [...v.requiredConsent],
        created_at: new Date(v.createdAt).toISOString(),
      }))
    },
  )

  app.put(
    '/api/segments/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Change a segment: a new version, backfilled in the background; earlier versions are kept',
        params: idParams,
        body: segmentBodySchema,
        response: { 200: segmentSchema, 400: errorResponseSchema, 404: errorResponseSchema, 409: errorResponseSchema },
      },
    },
    async (request) => {
      const { required_consent: requiredConsent, ...input } = request.body
      return segmentBody(await segments.update(request.params.id, { ...input, requiredConsent }))
    },
  )

  app.delete(
    '/api/segments/:id',
    {
      config: { scope: 'admin' },
      schema: { summary: 'Delete a segment, its memberships and webhooks (its versions and change log are kept)', params: idParams, response: { 204: { type: 'null' }, 404: errorResponseSchema, 409: errorResponseSchema } },
    },
    async (request, reply) => {
      await segments.remove(request.params.id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/api/segments/:id/users',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Members of a segment, by offset or (fast at any depth) by cursor',
        params: idParams,
        querystring: { type: 'object', properties: { ...pageQuerySchema } },
        response: {
          200: {
            type: 'object',
            properties: {
              segment: { type: 'string' },
              segment_id: { type: 'string' },
              total: { type: 'integer' },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
              users: { type: 'array', items: memberSchema },
              next_cursor: { type: ['string', 'null'] },
            },
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const q = request.query
      refuseOffsetWithCursor(q)
      const row = await segments.require(request.params.id)
      const afterProfileId = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
      const members = await ctx.store.listSegmentMembers({ segmentId: row.id, limit: q.limit, offset: q.offset, afterProfileId })
      const last = members[members.length - 1]
      return {
        segment: row.name,
        segment_id: row.id,
        total: row.members,
        limit: q.limit,
        offset: q.offset,
        users: members.map((m) => ({ profile_id: m.profileId, cookie: m.cookie, email: m.email, entered_at: new Date(m.enteredAt).toISOString() })),
        next_cursor: members.length === q.limit && last ? encodeCursor(last.profileId) : null,
      }
    },
  )

  app.get(
    '/api/segments/:id/export',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Every member as CSV or NDJSON, streamed page by page at any size',
        params: idParams,
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['csv', 'ndjson'], default: 'ndjson' } } },
      },
    },
    async (request, reply) => {
      const { format } = request.query
      const row = await segments.require(request.params.id)
      async function* lines(): AsyncGenerator<string> {
        for await (const chunk of exportMembers(ctx.store, row.id, format)) yield chunk.text
      }
      const filename = `${row.name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '') || row.id}.${format}`
      reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      reply.header('content-disposition', `attachment; filename="${filename}"`)
      return reply.send(Readable.from(lines()))
    },
  )
}
