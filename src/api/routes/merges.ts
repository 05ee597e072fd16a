// Identity routes: merge history (GET /api/user/merges), unmerge, manual merge, and allowing a
// refused link again. The rules and the rebuild are privacy/identity-service.ts.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { StoredMergeEntry } from '../../domain/identity.ts'
import type { PersonRef, PersonSummary } from '../../privacy/identity-service.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import { findPerson, PERSON_KEYS, personQueryProperties, lookupQueryProperties } from '../http/person.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

const mergeEntrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    reason: { type: 'string', enum: ['email_attached', 'email_match', 'cookie_moved', 'recomputed', 'refused', 'manual', 'unmerged'], description: 'the rule: refused names the guardrail or refused link in detail.rule' },
    survivor_id: { type: ['string', 'null'], description: 'null when an erased person was the survivor (the row is kept as the other person\'s history)' },
    absorbed_id: { type: ['string', 'null'], description: 'null when nothing was absorbed, or when the absorbed person was erased' },
    identifier_kind: { type: 'string' },
    identifier: { type: ['string', 'null'], description: 'null when it was an identifier of a person since erased' },
    raw_record: {
      type: ['object', 'null'],
      description: 'the raw record that caused it (null for an admin action)',
      properties: { id: { type: 'integer' }, source: { type: 'string' }, received_at: { type: 'string', format: 'date-time' } },
    },
    detail: { type: ['object', 'null'], additionalProperties: true, description: 'refusal rule and limit, or the admin key behind a manual merge or unmerge' },
  },
} as const

const personSummarySchema = {
  type: 'object',
  properties: { profile_id: { type: 'string' }, email: { type: ['string', 'null'] }, cookies: { type: 'array', items: { type: 'string' } } },
} as const

const personRefSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description: 'exactly one of email, cookie, profile_id, user_id',
  properties: personQueryProperties,
} as const

function mergeToJson(m: StoredMergeEntry) {
  return {
    id: m.id,
    at: new Date(m.createdAt).toISOString(),
    reason: m.reason,
    survivor_id: m.survivorId,
    absorbed_id: m.absorbedId,
    identifier_kind: m.identifierKind,
    identifier: m.identifier,
    raw_record: m.raw ? { id: m.raw.id, source: m.raw.source, received_at: new Date(m.raw.receivedAt).toISOString() } : null,
    detail: m.detail ?? null,
  }
}

function summaryToJson(p: PersonSummary) {
  return { profile_id: p.profileId, email: p.email, cookies: p.cookies }
}

function personRef(body: Partial<Record<(typeof PERSON_KEYS)[number], string>>, name: string): PersonRef {
  const given = PERSON_KEYS.filter((k) => body[k] !== undefined)
  if (given.length !== 1) throw new AppError('invalid_input', `${name}: give exactly one of ${PERSON_KEYS.join(', ')}`)
  const kind = given[0] as (typeof PERSON_KEYS)[number]
  return { kind, value: body[kind] as string }
}

export async function mergeRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  const { identity } = ctx

  app.get(
    '/api/user/merges',
    {
      config: { scope: 'read' },
      schema: {
        summary: "Every merge, move and refusal that shaped a person's profile (its absorbed profiles' included), oldest first",
        querystring: { type: 'object', properties: lookupQueryProperties },
        response: {
          200: { type: 'object', properties: { profile_id: { type: 'string' }, merges: { type: 'array', items: mergeEntrySchema } } },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const { profileId } = await findPerson(ctx, request.query)
      return { profile_id: profileId, merges: (await identity.history(profileId)).map(mergeToJson) }
    },
  )

  app.post(
    '/api/user/unmerge',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Split a profile back along one merge ({merge_id}) or detach one cookie ({profile_id|email|…, detach: {cookie}}); both people are rebuilt from their raw records and the link is refused from then on',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            merge_id: { type: 'integer', minimum: 1 },
            ...personQueryProperties,
            detach: { type: 'object', additionalProperties: false, required: ['cookie'], properties: { cookie: { type: 'string', minLength: 1 } } },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              unmerge_id: { type: 'integer', description: 'the "unmerged" merge log entry' },
              refused: { type: 'array', items: { type: 'object', properties: { cookie: { type: 'string' }, email: { type: 'string' } } } },
              profiles: { type: 'array', items: personSummarySchema, description: 'the resulting people, survivor first' },
            },
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const { merge_id: mergeId, detach, ...person } = request.body
      const by = request.apiKeyId ?? null
      let result
      if (mergeId !== undefined) {
        if (detach !== undefined || PERSON_KEYS.some((k) => person[k] !== undefined)) throw new AppError('invalid_input', 'give either merge_id, or a person and detach: {cookie}, not both')
        result = await identity.unmerge({ mergeId }, by)
      } else {
        if (detach === undefined) throw new AppError('invalid_input', 'give merge_id (e.g. {"merge_id": 12}) or a person and detach: {cookie} (e.g. {"email": "jane@example.com", "detach": {"cookie": "c-1"}})')
        result = await identity.unmerge({ person: personRef(person, 'person'), detachCookie: detach.cookie }, by)
      }
      return { unmerge_id: result.unmergeId, refused: result.refused, profiles: result.profiles.map(summaryToJson) }
    },
  )

  app.post(
    '/api/user/merge',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Join two profiles an admin knows are one person: from's profile is absorbed into into's; a refused link between them is allowed again",
        body: { type: 'object', additionalProperties: false, required: ['from', 'into'], properties: { from: personRefSchema, into: personRefSchema } },
        response: {
          200: { type: 'object', properties: { merge_id: { type: 'integer' }, profile: personSummarySchema, allowed_links: { type: 'integer' } } },
          400: errorResponseSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const result = await identity.merge({ from: personRef(request.body.from, 'from'), into: personRef(request.body.into, 'into') }, request.apiKeyId ?? null)
      return { merge_id: result.mergeId, profile: summaryToJson(result.profile), allowed_links: result.allowed }
    },
  )

  app.delete(
    '/api/user/refused-links',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Allow a refused (cookie, email) link again: the next record that carries both links them by the usual rules',
        body: { type: 'object', additionalProperties: false, required: ['cookie', 'email'], properties: { cookie: { type: 'string', minLength: 1 }, email: { type: 'string', minLength: 1 } } },
        response: { 204: { type: 'null' }, 404: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { cookie, email } = request.body
      if (!(await identity.allowLink({ cookie, email: email.trim().toLowerCase() }))) throw new AppError('not_found', `no refused link between cookie "${cookie}" and "${email}"`)
      return reply.code(204).send()
    },
  )
}
