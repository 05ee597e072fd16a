// GET /api/events: a person's behavioural events, newest first, paged by cursor.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { EventRow } from '../../domain/event.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { eventSchema, eventToJson } from '../http/event-json.ts'
import { MAX_PAGE } from '../http/pagination.ts'
import { findPerson, lookupQueryProperties } from '../http/person.ts'

// A cursor is the (time, id) of the previous page's last event, opaque to clients.
function encodeCursor(e: EventRow): string {
  return Buffer.from(`${e.at}:${e.id}`, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string): { at: number; id: number } {
  const match = /^(\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw new AppError('invalid_input', 'cursor is not valid: pass the next_cursor of the previous page unchanged')
  return { at: Number(match[1]), id: Number(match[2]) }
}

export async function eventRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.get(
    '/api/events',
    {
      config: { scope: 'read' },
      schema: {
        summary: "One person's events, newest first (by profile_id, cookie, email or user_id)",
        querystring: {
          type: 'object',
          properties: {
            ...lookupQueryProperties,
            name: { type: 'string', minLength: 1, maxLength: 200, description: 'only events with this name' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 },
            cursor: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              profile_id: { type: 'string' },
              events: { type: 'array', items: eventSchema },
              next_cursor: { type: ['string', 'null'], description: 'pass as cursor for the next (older) page; null on the last page' },
            },
            required: ['profile_id', 'events', 'next_cursor'],
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const q = request.query
      const { profileId } = await findPerson(ctx, q)
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
      // One more than asked tells whether there is a next page without a count.
      const rows = await ctx.store.listEvents({ profileId, limit: q.limit + 1, before, name: q.name })
      const page = rows.slice(0, q.limit)
      const last = page[page.length - 1]
      return { profile_id: profileId, events: page.map(eventToJson), next_cursor: rows.length > q.limit && last ? encodeCursor(last) : null }
    },
  )
}
