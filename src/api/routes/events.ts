// GET /api/events: a person's behavioural events, newest first, paged by cursor.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { EventRow } from '../../domain/event.ts'

export const PERSON_KEYS = ['profile_id', 'cookie', 'email', 'user_id'] as const
export type PersonKey = (typeof PERSON_KEYS)[number]

const MAX_PAGE = 1000

/** Query parameters naming one person; `findPerson` requires exactly one of them. */
export const personQueryProperties = {
  profile_id: { type: 'string', minLength: 1 },
  cookie: { type: 'string', minLength: 1 },
  email: { type: 'string', minLength: 1 },
  user_id: { type: 'string', minLength: 1, description: 'a Segment userId that is not an email' },
} as const

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', enum: ['track', 'page', 'screen'] },
    name: { type: 'string' },
    properties: { type: 'object', additionalProperties: true },
    context: { type: ['object', 'null'], additionalProperties: true },
    timestamp: { type: 'string', format: 'date-time', description: 'when it happened, corrected for the client clock' },
    received_at: { type: 'string', format: 'date-time' },
    message_id: { type: 'string' },
    anonymous_id: { type: ['string', 'null'] },
    user_id: { type: ['string', 'null'] },
  },
} as const

export function eventToJson(e: EventRow) {
  return {
    id: e.id,
    type: e.type,
    name: e.name,
    properties: e.properties,
    context: e.context,
    timestamp: new Date(e.at).toISOString(),
    received_at: new Date(e.receivedAt).toISOString(),
    message_id: e.messageId,
    anonymous_id: e.anonymousId,
    user_id: e.userId,
  }
}

// A cursor is the (time, id) of the previous page's last event, opaque to clients.
function encodeCursor(e: EventRow): string {
  return Buffer.from(`${e.at}:${e.id}`, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string): { at: number; id: number } {
  const match = /^(\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw new AppError('invalid_input', 'cursor is not valid: pass the next_cursor of the previous page unchanged')
  return { at: Number(match[1]), id: Number(match[2]) }
}

/** The profile one of profile_id, cookie, email or user_id names; 400 unless exactly one is given. */
export async function findPerson(ctx: RouteContext, query: Partial<Record<PersonKey, string>>): Promise<{ profileId: string; key: PersonKey; value: string }> {
  const given = PERSON_KEYS.filter((k) => query[k] !== undefined)
  if (given.length !== 1) {
    throw new AppError(
      'invalid_input',
      given.length === 0
        ? `give exactly one of ${PERSON_KEYS.join(', ')} (e.g. ?email=jane@example.com)`
        : `give exactly one of ${PERSON_KEYS.join(', ')}, not ${given.join(' and ')}`,
    )
  }
  const key = given[0] as PersonKey
  const raw = query[key] as string
  // Emails are matched as stored: trimmed and lower-cased.
  const value = key === 'email' ? raw.trim().toLowerCase() : raw.trim()
  const profileId = await ctx.store.findProfileId(key, value)
  if (!profileId) throw new AppError('not_found', `no user with ${key} "${raw}"`)
  return { profileId, key, value: raw }
}

export async function eventRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get(
    '/api/events',
    {
      config: { scope: 'read' },
      schema: {
        summary: "One person's events, newest first (by profile_id, cookie, email or user_id)",
        querystring: {
          type: 'object',
          properties: {
            ...personQueryProperties,
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
      const q = request.query as Partial<Record<PersonKey, string>> & { name?: string; limit: number; cursor?: string }
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
