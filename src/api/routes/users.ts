// GET /api/user: one person, looked up by any of their identifiers.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import { parseIncome } from '../../pipeline/validate/income.ts'
import { apiSectionSchema, apiSectionValues } from '../../domain/profile-fields.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { ProfileView } from '../../domain/profile.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { consentChangeToJson, consentHistorySchema, consentSchema, consentToJson } from '../http/consent-json.ts'
import { eventSchema, eventToJson } from '../http/event-json.ts'
import { findPerson, lookupQueryProperties } from '../http/person.ts'

const MAX_EVENTS = 1000

// Short display names for the one-line location; the detail keeps the full ISO name.
const COUNTRY_DISPLAY: Record<string, string> = { US: 'USA', GB: 'UK', AE: 'UAE' }

const nullableString = { type: ['string', 'null'] } as const

const userProfileSchema = {
  type: 'object',
  properties: {
    profile_id: { type: 'string' },
    cookie: nullableString,
    cookies: { type: 'array', items: { type: 'string' } },
    identifiers: {
      type: 'array',
      description: 'linked identifiers (user_id, phone, device_id, declared kinds), most recently seen first',
      items: { type: 'object', properties: { kind: { type: 'string' }, value: { type: 'string' } } },
    },
    email: nullableString,
    phone_number: nullableString,
    location: nullableString,
    location_detail: apiSectionSchema('location_detail'),
    demographics: {
      type: 'object',
      properties: {
        ...apiSectionSchema('demographics').properties,
        income_parsed: {
          type: ['object', 'null'],
          description: 'income read as an amount or range (min = max for one amount; null for an open end) and an ISO 4217 currency (null when the text names none); null when income is absent or is not an amount',
          properties: { min: { type: ['number', 'null'] }, max: { type: ['number', 'null'] }, currency: nullableString },
        },
      },
    },
    interests: { type: 'array', items: { type: 'string' } },
    cohorts: { type: 'array', items: { type: 'string' } },
    traits: { type: 'object', additionalProperties: true },
    consent: consentSchema,
    consent_history: consentHistorySchema,
    first_seen: { type: 'string', format: 'date-time' },
    last_seen: { type: 'string', format: 'date-time' },
    segments: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } },
    event_counts: {
      type: 'array',
      description: 'per event name: how many the person has, and the latest',
      items: { type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' }, last_at: { type: 'string', format: 'date-time' } } },
    },
    events: { type: 'array', items: eventSchema, description: 'the latest events, newest first (?events=N)' },
    segment_details: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          version: { type: 'integer' },
          member: { type: 'boolean' },
          entered_at: { type: ['string', 'null'] },
          conditions: { type: 'object', additionalProperties: true },
        },
      },
    },
    cohort_details: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          score: { type: 'number' },
          reason: { type: 'string' },
          assigned_at: { type: 'string' },
          interest: { type: ['string', 'null'] },
          explanation: { type: ['object', 'null'], additionalProperties: true },
        },
      },
    },
  },
} as const

/** Why an interest maps where it does: the model's explanation, trimmed to what a reader needs. */
export type InterestExplainer = (interest: string) => Record<string, unknown>

/** The interest a membership's reason names (`interest "nike shoes"`), if any. */
function reasonInterest(reason: string): string | null {
  const match = /^interest "(.*)"$/.exec(reason)
  return match ? (match[1] as string) : null
}

export function userProfileBody(view: ProfileView, options: { explain: InterestExplainer | null }) {
  const { profile, cookies, memberships } = view
  const f = profile.fields
  const countryDisplay = f.country_code ? (COUNTRY_DISPLAY[f.country_code] ?? f.country) : f.country
  const location = [f.city, f.state, countryDisplay].filter((part) => part !== null && part !== undefined && part !== '').join(', ')
  return {
    profile_id: profile.id,
    cookie: cookies[0]?.cookie ?? null,
    cookies: cookies.map((c) => c.cookie),
    identifiers: view.identifiers.map((i) => ({ kind: i.kind, value: i.value })),
    email: profile.email,
    phone_number: f.phone ?? f.phone_raw ?? null,
    location: location || null,
    location_detail: apiSectionValues(f, 'location_detail'),
    demographics: {
      ...apiSectionValues(f, 'demographics'),
      // Read from the text on the way out: the profile keeps income as sent (see docs/api.md).
      income_parsed: f.income ? parseIncome(f.income) : null,
    },
    interests: [...profile.interests.keys()],
    cohorts: memberships.map((m) => m.name),
    traits: profile.traits,
    consent: consentToJson(profile.consent),
    first_seen: new Date(profile.firstSeen).toISOString(),
    last_seen: new Date(profile.lastSeen).toISOString(),
    ...(options.explain
      ? {
          cohort_details: memberships.map((m) => {
            const interest = reasonInterest(m.reason)
            const explain = options.explain
            return {
              name: m.name,
              score: m.score,
              reason: m.reason,
              assigned_at: new Date(m.assignedAt).toISOString(),
              interest,
              explanation: interest !== null && explain ? explain(interest) : null,
            }
          }),
        }
      : {}),
  }
}

function explainInterest(ctx: RouteContext): InterestExplainer {
  const classifier = ctx.cohorts.classifier
  return (interest) => {
    const e = classifier.explain(interest)
    return {
      model_version: classifier.version,
      decision: e.decision,
      normalized: e.normalized,
      corrections: e.corrections,
      gazetteer: e.gazetteer.map((g) => ({ alias: g.alias, cohorts: g.cohorts, whole_phrase: g.whole })),
      strongest_features: e.features,
      cohorts: e.cohorts.map((c) => ({ name: c.cohort, score: c.score })),
    }
  }
}

export async function userRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.get(
    '/api/user',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'One person by exactly one of cookie, email, profile_id or user_id',
        querystring: {
          type: 'object',
          properties: {
            ...lookupQueryProperties,
            events: { type: 'integer', minimum: 0, maximum: MAX_EVENTS, default: 0, description: 'include the latest N events' },
            explain: { type: 'string', enum: ['0', '1', 'true', 'false'], description: 'explain=1 adds cohort_details: why the person is in each cohort' },
            consent_history: { type: 'string', enum: ['0', '1', 'true', 'false'], description: 'consent_history=1 adds every consent statement, newest first' },
          },
        },
        response: {
          200: { type: 'object', properties: { user_profile: userProfileSchema }, required: ['user_profile'] },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const query = request.query
      const { profileId, key, value } = await findPerson(ctx, query)
      // Independent reads of one profile id: on PostgreSQL each is a round trip, so they run at once.
      const [view, segments, counts] = await Promise.all([ctx.store.loadProfileView(profileId), ctx.store.listProfileSegments(profileId), ctx.store.countEvents(profileId)])
      if (!view) throw new AppError('not_found', `no user with ${key} "${value}"`)
      const explain = query.explain === '1' || query.explain === 'true'
      const body = userProfileBody(view, { explain: explain ? explainInterest(ctx) : null })
      const names = new Map(ctx.segments.engine.segments().map((s) => [s.id, s.name]))
      const segmentList = [...segments.keys()].filter((id) => names.has(id)).map((id) => ({ id, name: names.get(id) as string }))
      const eventCounts = counts.map((c) => ({ name: c.name, count: c.count, last_at: new Date(c.lastAt).toISOString() }))
      const latest = query.events > 0 ? (await ctx.store.listEvents({ profileId: view.profile.id, limit: query.events, before: undefined, name: undefined })).map(eventToJson) : undefined
      const history = query.consent_history === '1' || query.consent_history === 'true' ? (await ctx.store.listConsentChanges(view.profile.id)).map(consentChangeToJson) : undefined
      const behaviour = { event_counts: eventCounts, ...(latest ? { events: latest } : {}), ...(history ? { consent_history: history } : {}) }
      if (!explain) return { user_profile: { ...body, segments: segmentList, ...behaviour } }
      const cohorts = new Map(view.memberships.map((m) => [m.name.toLowerCase(), m.score]))
      const details = await ctx.segments.explainProfile(view.profile, cohorts)
      return {
        user_profile: {
          ...body,
          segments: segmentList,
          ...behaviour,
          segment_details: details.map((d) => ({
            id: d.segment.id,
            name: d.segment.name,
            version: d.segment.version,
            member: d.member,
            entered_at: d.enteredAt === null ? null : new Date(d.enteredAt).toISOString(),
            conditions: d.explanation,
          })),
        },
      }
    },
  )
}
