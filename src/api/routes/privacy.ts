// Privacy routes: erasure (DELETE /api/user, POST /api/privacy/erasures), suppression, the access export.
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import { MAX_ERASURE_IDENTIFIERS } from '../../privacy/service.ts'
import type { PersonIdentifier, PrivacyJobRow } from '../../storage/ports/privacy.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import { findPerson, type LookupKey, lookupQueryProperties, PERSON_KEYS, type PersonKey, personQueryProperties } from '../http/person.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

const jobSchema = {
  type: 'object',
  description: 'an erasure job and its audit row: who asked and when, what was removed; the identifiers are kept only as a salted hash',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['running', 'finished', 'failed'] },
    identifier_count: { type: 'integer' },
    identifiers_hash: { type: 'string', description: 'HMAC-SHA256 of the sorted identifiers with the install salt' },
    suppress: { type: 'boolean' },
    requested_by: { type: ['string', 'null'], description: 'the id of the API key that asked ("cli" from cdp privacy erase)' },
    requested_at: { type: 'string', format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    counts: { type: 'object', additionalProperties: { type: 'integer' }, description: 'rows removed per table' },
    error: { type: ['string', 'null'] },
  },
  required: ['id', 'status', 'identifier_count', 'suppress', 'requested_by', 'requested_at', 'finished_at', 'counts', 'error'],
} as const

const identifierSchema = {
  type: 'object',
  description: 'exactly one of email, cookie, profile_id, user_id',
  properties: personQueryProperties,
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
} as const

const identifiersBody = (max: number) =>
  ({
    type: 'object',
    properties: { identifiers: { type: 'array', items: identifierSchema, minItems: 1 }, suppress: { type: 'boolean', default: false } },
    required: ['identifiers'],
    additionalProperties: false,
    description: `at most ${max} identifiers`,
  }) as const

const suppressionAnswer = {
  type: 'object',
  properties: { added: { type: 'integer' }, removed: { type: 'integer' }, total: { type: 'integer', description: 'entries on the suppression list now' } },
  required: ['total'],
} as const

export function jobToJson(job: PrivacyJobRow) {
  return {
    id: job.id,
    status: job.status,
    identifier_count: job.identifierCount,
    identifiers_hash: job.identifiersHash,
    suppress: job.suppress,
    requested_by: job.requestedBy,
    requested_at: new Date(job.requestedAt).toISOString(),
    finished_at: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
    counts: job.counts,
    error: job.error,
  }
}

/** [{email: "x"}] → [{kind: "email", value: "x"}]; the schema has checked each names exactly one. */
function identifiersOf(items: ReadonlyArray<Partial<Record<PersonKey, string>>>): PersonIdentifier[] {
  return items.map((item) => {
    const kind = PERSON_KEYS.find((k) => item[k] !== undefined) as PersonKey
    return { kind, value: item[kind] as string }
  })
}

/** The one identifier a query names; 400 unless exactly one. */
function queryIdentifier(query: Partial<Record<PersonKey, string>>): PersonIdentifier {
  const given = PERSON_KEYS.filter((k) => query[k] !== undefined)
  if (given.length !== 1) throw new AppError('invalid_input', `give exactly one of ${PERSON_KEYS.join(', ')} (e.g. ?email=jane@example.com)`)
  const kind = given[0] as PersonKey
  return { kind, value: query[kind] as string }
}

const LINKED_LOOKUPS = ['phone', 'device_id', 'identifier'] as const

/**
 * The one person a query names: by email, cookie, profile_id or user_id as given (the service checks
 * them), or by a linked identifier (phone, device_id, identifier=kind:value), found first and then
 * erased or exported by its profile id, with everything the person holds.
 */
async function personOfQuery(ctx: RouteContext, query: Partial<Record<LookupKey, string>>): Promise<PersonIdentifier> {
  if (!LINKED_LOOKUPS.some((k) => query[k] !== undefined)) return queryIdentifier(query)
  const { profileId } = await findPerson(ctx, query)
  return { kind: 'profile_id', value: profileId }
}

export async function privacyRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()

  app.delete(
    '/api/user',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Erase one person everywhere (right to be forgotten); runs the erasure job to completion and returns it',
        description:
          'Name the person with exactly one of email, cookie, profile_id, user_id, or a linked identifier (phone, device_id, identifier=kind:value: 404 when nobody has it). A malformed identifier (an email that is not an address, a placeholder such as "null") is a 400 that says what is wrong. ' +
          'raw_value instead erases only the raw records that carry that exact value (their cookie or email column, or a whole JSON string in their payload), such as a malformed email ingest refused; nothing derived is touched and every raw record is read.',
        querystring: {
          type: 'object',
          properties: {
            ...lookupQueryProperties,
            raw_value: { type: 'string', minLength: 1, description: 'erase the raw records carrying exactly this value (admin); alone, without suppress' },
            suppress: { type: 'string', enum: ['0', '1', 'true', 'false'] },
          },
        },
        response: { 200: jobSchema, 400: errorResponseSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const { suppress, raw_value: rawValue } = request.query
      const isSuppressed = suppress === '1' || suppress === 'true'
      const requestedBy = request.apiKeyId ?? null
      if (rawValue !== undefined) {
        const others = [...PERSON_KEYS, ...LINKED_LOOKUPS].filter((k) => request.query[k] !== undefined)
        if (others.length > 0) throw new AppError('invalid_input', `raw_value: give it alone, not with ${others.join(' and ')} (it erases raw records, not a person)`)
        return jobToJson(await ctx.privacy.erase({ identifiers: [], rawValues: [rawValue], suppress: isSuppressed, requestedBy }))
      }
      const job = await ctx.privacy.erase({ identifiers: [await personOfQuery(ctx, request.query)], suppress: isSuppressed, requestedBy })
      return jobToJson(job)
    },
  )

  app.post(
    '/api/privacy/erasures',
    {
      config: { scope: 'admin' },
      schema: {
        summary: `Erase up to ${MAX_ERASURE_IDENTIFIERS} identifiers in the background; poll the job`,
        description: 'Every identifier is checked first: a malformed one (an email that is not an address, a placeholder) is a 400 naming its index, e.g. identifiers[3].email, and nothing is erased.',
        body: identifiersBody(MAX_ERASURE_IDENTIFIERS),
        response: { 202: jobSchema, 400: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const job = await ctx.privacy.requestErasure({ identifiers: identifiersOf(request.body.identifiers), suppress: request.body.suppress, requestedBy: request.apiKeyId ?? null })
      return reply.code(202).send(jobToJson(job))
    },
  )

  app.get(
    '/api/privacy/erasures',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'The latest erasure jobs (the audit log), newest first',
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: jobSchema } }, required: ['jobs'] } },
      },
    },
    async (request) => ({ jobs: (await ctx.privacy.jobs(request.query.limit)).map(jobToJson) }),
  )

  app.get(
    '/api/privacy/erasures/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'One erasure job: its status, counts per table and finished_at',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: jobSchema, 404: errorResponseSchema },
      },
    },
    async (request) => jobToJson(await ctx.privacy.job(request.params.id)),
  )

  app.post(
    '/api/privacy/suppressions',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Suppress identifiers without erasing: later data carrying them is refused and never stored',
        body: identifiersBody(MAX_ERASURE_IDENTIFIERS),
        response: { 200: suppressionAnswer, 400: errorResponseSchema },
      },
    },
    async (request) => {
      const identifiers = identifiersOf(request.body.identifiers)
      if (identifiers.length > MAX_ERASURE_IDENTIFIERS) throw new AppError('invalid_input', `identifiers: at most ${MAX_ERASURE_IDENTIFIERS} per request (got ${identifiers.length})`)
      return await ctx.privacy.suppress(identifiers)
    },
  )

  app.post(
    '/api/privacy/suppressions/remove',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Take identifiers off the suppression list: their data is accepted again',
        body: identifiersBody(MAX_ERASURE_IDENTIFIERS),
        response: { 200: suppressionAnswer, 400: errorResponseSchema },
      },
    },
    async (request) => await ctx.privacy.unsuppress(identifiersOf(request.body.identifiers)),
  )

  app.get(
    '/api/privacy/suppressions',
    {
      config: { scope: 'admin' },
      schema: { summary: 'How many identifiers are suppressed (the list holds only salted hashes)', response: { 200: suppressionAnswer } },
    },
    async () => ({ total: ctx.privacy.suppressionCount() }),
  )

  app.get(
    '/api/user/export',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Everything stored about one person as one JSON document (a data subject access request), streamed',
        querystring: { type: 'object', properties: lookupQueryProperties },
        response: {
          200: {
            type: 'object',
            description:
              'profile_id, exported_at, profile (fields, traits, consent, first/last seen), identifiers, interests, cohorts, segments, consent_history, merge_history, events (all), raw_records (every record about the person, as received)',
            additionalProperties: true,
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const document = await ctx.privacy.exportPerson(await personOfQuery(ctx, request.query))
      // A stream is sent as it is (no serializer): the document is written page by page.
      return reply.type('application/json; charset=utf-8').send(Readable.from(document))
    },
  )
}
