// GET /api/cohorts and GET /api/cohort/users.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { decodeCursor, encodeCursor, pageQuerySchema, refuseOffsetWithCursor } from '../http/pagination.ts'

export async function cohortRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.get(
    '/api/cohorts',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Every cohort with its member count',
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, members: { type: 'integer' } },
              required: ['name', 'description', 'members'],
            },
          },
        },
      },
    },
    async () => (await ctx.store.listCohorts()).map((c) => ({ id: c.id, name: c.name, description: c.description, members: c.members })),
  )

  app.get(
    '/api/cohort/users',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Members of a cohort, by offset or (fast at any depth) by cursor',
        querystring: {
          type: 'object',
          properties: { cohort: { type: 'string', minLength: 1 }, ...pageQuerySchema },
          required: ['cohort'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              cohort: { type: 'string' },
              total: { type: 'integer' },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
              users: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    profile_id: { type: 'string' },
                    cookie: { type: ['string', 'null'] },
                    email: { type: ['string', 'null'] },
                    score: { type: 'number' },
                    assigned_at: { type: 'string' },
                  },
                },
              },
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
      const cohort = await ctx.store.findCohort(q.cohort)
      if (!cohort) {
        const names = (await ctx.store.listCohorts()).map((c) => c.name)
        throw new AppError('not_found', `no cohort "${q.cohort}": valid cohorts are ${names.join(', ')}`)
      }
      const afterProfileId = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
      const members = await ctx.store.listCohortMembers({ cohortId: cohort.id, limit: q.limit, offset: q.offset, afterProfileId })
      const last = members[members.length - 1]
      return {
        cohort: cohort.name,
        total: cohort.members,
        limit: q.limit,
        offset: q.offset,
        users: members.map((m) => ({
          profile_id: m.profileId,
          cookie: m.cookie,
          email: m.email,
          score: m.score,
          assigned_at: new Date(m.assignedAt).toISOString(),
        })),
        next_cursor: members.length === q.limit && last ? encodeCursor(last.profileId) : null,
      }
    },
  )
}
