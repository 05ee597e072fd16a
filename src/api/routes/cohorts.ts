// GET /api/cohorts and GET /api/cohort/users.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'

export const MAX_PAGE = 1000
/** Offsets and ids past this cannot be exact in JSON numbers, nor held by SQLite's 64-bit integers. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER

// A cursor is the last profile id of the previous page, opaque to clients.
export function encodeCursor(profileId: string): string {
  return Buffer.from(profileId, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string): string {
  const profileId = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[A-Za-z0-9_]{1,64}$/.test(profileId)) {
    throw new AppError('invalid_input', 'cursor is not valid: pass the next_cursor of the previous page unchanged')
  }
  return profileId
}

export const pageQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 },
  offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
  cursor: { type: 'string', minLength: 1, maxLength: 200 },
} as const

export async function cohortRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
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
      const q = request.query as { cohort: string; limit: number; offset: number; cursor?: string }
      if (q.cursor !== undefined && q.offset > 0) {
        throw new AppError('invalid_input', 'use either offset or cursor, not both: cursor already says where the page starts')
      }
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
