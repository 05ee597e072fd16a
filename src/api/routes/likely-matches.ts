// GET /api/user/likely-matches (issue #20): pairs of anonymous profiles that are likely one person,
// with confidence and evidence, for an admin to review and join with POST /api/user/merge. The rules
// are domain/likely-match.ts; listing is privacy/likely-matches.ts.
import type { FastifyInstance } from 'fastify'
import { DEFAULT_MIN_CONFIDENCE } from '../../domain/likely-match.ts'
import type { ListedLikelyMatch } from '../../privacy/likely-matches.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import { MAX_OFFSET, MAX_PAGE } from '../http/pagination.ts'
import { findPerson, PERSON_KEYS, personQueryProperties } from '../http/person.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

const sideSchema = {
  type: 'object',
  required: ['profile_id', 'cookies'],
  properties: { profile_id: { type: 'string' }, cookies: { type: 'array', items: { type: 'string' } } },
} as const

const coOccurrenceSchema = {
  type: 'object',
  required: ['ip', 'user_agent', 'at', 'gap_seconds', 'cookies', 'others_same_user_agent', 'others_same_ip', 'weight'],
  properties: {
    ip: { type: 'string' },
    user_agent: { type: 'string' },
    at: { type: 'string', format: 'date-time', description: 'the earlier of the two sightings' },
    gap_seconds: { type: 'number', description: 'time between the two sightings' },
    cookies: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2, description: "the two cookies seen, in the order of profile_ids" },
    others_same_user_agent: { type: 'integer', description: 'other profiles seen on this IP with this user agent within the window' },
    others_same_ip: { type: 'integer', description: 'other profiles seen on this IP (any user agent) within the window: an office or carrier address has many' },
    weight: { type: 'number', description: "this co-occurrence's share of the evidence (0-1)" },
  },
} as const

export const likelyMatchSchema = {
  type: 'object',
  required: ['profile_ids', 'confidence', 'profiles', 'evidence'],
  properties: {
    profile_ids: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 },
    confidence: { type: 'number', minimum: 0, maximum: 1, description: '1 − Π(1 − weight) over distinct co-occurrences; never 1' },
    profiles: { type: 'array', items: sideSchema, minItems: 2, maxItems: 2, description: 'each side with its cookies' },
    evidence: {
      type: 'object',
      required: ['count', 'first_at', 'last_at', 'ip', 'user_agent', 'co_occurrences'],
      properties: {
        count: { type: 'integer', description: 'distinct co-occurrences (IP, user agent, window)' },
        first_at: { type: 'string', format: 'date-time' },
        last_at: { type: 'string', format: 'date-time' },
        ip: { type: 'string', description: 'the IP address of the strongest co-occurrence' },
        user_agent: { type: 'string', description: 'its user agent' },
        co_occurrences: { type: 'array', items: coOccurrenceSchema, description: 'the strongest first, at most 10' },
      },
    },
  },
} as const

export function likelyMatchToJson(m: ListedLikelyMatch) {
  const strongest = m.evidence[0]
  return {
    profile_ids: m.profileIds,
    confidence: Math.round(m.confidence * 1000) / 1000,
    profiles: m.sides.map((s) => ({ profile_id: s.profileId, cookies: s.cookies })),
    evidence: {
      count: m.count,
      first_at: new Date(m.firstAt).toISOString(),
      last_at: new Date(m.lastAt).toISOString(),
      ip: strongest?.ip ?? '',
      user_agent: strongest?.userAgent ?? '',
      co_occurrences: m.evidence.map((o) => ({
        ip: o.ip,
        user_agent: o.userAgent,
        at: new Date(o.at).toISOString(),
        gap_seconds: Math.round(o.gapMs / 1000),
        cookies: o.cookies,
        others_same_user_agent: o.othersSameUserAgent,
        others_same_ip: o.othersSameIp,
        weight: Math.round(o.weight * 1000) / 1000,
      })),
    },
  }
}

export async function likelyMatchRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.get(
    '/api/user/likely-matches',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Anonymous profiles that are likely one person (same IP and user agent, close in time; CDP_LIKELY_MATCHES), strongest first; never merged automatically: join a pair with POST /api/user/merge',
        querystring: {
          type: 'object',
          properties: {
            min_confidence: { type: 'number', minimum: 0, maximum: 1, default: DEFAULT_MIN_CONFIDENCE, description: `links below this are left out (default ${DEFAULT_MIN_CONFIDENCE})` },
            ...personQueryProperties,
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 },
            offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['enabled', 'window_minutes', 'total', 'limit', 'offset', 'likely_matches'],
            properties: {
              enabled: { type: 'boolean', description: 'whether ingest keeps IP and user agent (CDP_LIKELY_MATCHES=on)' },
              window_minutes: { type: 'integer' },
              total: { type: 'integer', description: 'links matching the query, on every page' },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
              likely_matches: { type: 'array', items: likelyMatchSchema },
            },
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const { min_confidence: minConfidence, limit, offset, ...person } = request.query
      const named = PERSON_KEYS.some((k) => person[k] !== undefined)
      const profileId = named ? (await findPerson(ctx, person)).profileId : undefined
      const { total, matches } = await ctx.likelyMatches.list({ minConfidence, profileId, limit, offset })
      return { enabled: ctx.likelyMatches.enabled, window_minutes: ctx.likelyMatches.windowMinutes, total, limit, offset, likely_matches: matches.map(likelyMatchToJson) }
    },
  )
}
