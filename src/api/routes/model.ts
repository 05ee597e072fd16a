// Custom cohorts, corrections, the model's state and the cohort backfill; and classification on demand.
import type { FastifyInstance } from 'fastify'
import { MAX_SEEDS, MIN_SEEDS } from '../../cohorts/service.ts'
import type { ReclassifyStatus } from '../../cohorts/reclassify.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

const MAX_CLASSIFY = 1000

const reclassifySchema = {
  type: ['object', 'null'],
  properties: {
    state: { type: 'string', enum: ['running', 'done', 'failed', 'stopped'] },
    reason: { type: 'string' },
    model_version: { type: 'string' },
    processed: { type: 'integer' },
    total: { type: 'integer' },
    changed: { type: 'integer' },
    started_at: { type: 'string' },
    finished_at: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
  },
} as const

function reclassifyBody(status: ReclassifyStatus | null) {
  if (!status) return null
  return {
    state: status.state,
    reason: status.reason,
    model_version: status.modelVersion,
    processed: status.processed,
    total: status.total,
    changed: status.changed,
    started_at: new Date(status.startedAt).toISOString(),
    finished_at: status.finishedAt === null ? null : new Date(status.finishedAt).toISOString(),
    error: status.error,
  }
}

const stringList = (min: number, max: number) => ({ type: 'array', minItems: min, maxItems: max, items: { type: 'string', minLength: 1, maxLength: 200 } }) as const

export async function modelRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  const modelState = () => {
    const s = ctx.cohorts.status()
    return {
      model_version: s.modelVersion,
      up_to_date: s.upToDate,
      training: s.state,
      last_trained_at: s.lastTrainedAt === null ? null : new Date(s.lastTrainedAt).toISOString(),
      last_training_seconds: s.lastSeconds,
      training_error: s.error,
      reclassify: reclassifyBody(ctx.cohorts.reclassifier.status()),
    }
  }
  const modelStateSchema = {
    type: 'object',
    properties: {
      model_version: { type: 'string' },
      up_to_date: { type: 'boolean' },
      training: { type: 'string', enum: ['idle', 'scheduled', 'training', 'failed'] },
      last_trained_at: { type: ['string', 'null'] },
      last_training_seconds: { type: ['number', 'null'] },
      training_error: { type: ['string', 'null'] },
      reclassify: reclassifySchema,
    },
  } as const

  app.post(
    '/api/cohorts',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Add a custom cohort: it classifies at once through its seeds; the model retrains in the background',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'description', 'terms'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 60 },
            description: { type: 'string', minLength: 1, maxLength: 500 },
            terms: { ...stringList(MIN_SEEDS, MAX_SEEDS), description: `${MIN_SEEDS}–${MAX_SEEDS} seed terms` },
            examples: { ...stringList(0, 100), description: 'example entities (brands, names, titles)' },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              name: { type: 'string' },
              description: { type: 'string' },
              terms: { type: 'array', items: { type: 'string' } },
              seeds: { type: 'array', items: { type: 'string' } },
              model: modelStateSchema,
            },
          },
          400: errorResponseSchema,
          409: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const cohort = await ctx.cohorts.addCohort(body)
      return reply.code(201).send({ ...cohort, model: modelState() })
    },
  )

  app.post(
    '/api/cohorts/corrections',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Say which cohorts an interest belongs to ([] for none): an override at once, training data for the next model',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['interest', 'cohorts'],
          properties: {
            interest: { type: 'string', minLength: 1, maxLength: 200 },
            cohorts: { ...stringList(0, 3), description: 'cohort names, best first; [] means no cohort' },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { interest: { type: 'string' }, cohorts: { type: 'array', items: { type: 'string' } }, model: modelStateSchema },
          },
          400: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const row = await ctx.cohorts.addCorrection(body)
      const names = new Map((await ctx.store.listCohorts()).map((c) => [c.id, c.name]))
      return reply.code(201).send({ interest: row.text, cohorts: row.cohortIds.map((id) => names.get(id) ?? id), model: modelState() })
    },
  )

  app.get(
    '/api/cohorts/corrections',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Every correction',
        response: {
          200: {
            type: 'array',
            items: { type: 'object', properties: { interest: { type: 'string' }, cohorts: { type: 'array', items: { type: 'string' } }, created_at: { type: 'string' } } },
          },
        },
      },
    },
    async () => {
      const names = new Map((await ctx.store.listCohorts()).map((c) => [c.id, c.name]))
      return (await ctx.store.listCorrections()).map((c) => ({
        interest: c.text,
        cohorts: c.cohortIds.map((id) => names.get(id) ?? id),
        created_at: new Date(c.createdAt).toISOString(),
      }))
    },
  )

  app.get(
    '/api/model',
    { config: { scope: 'read' }, schema: { summary: 'The interest model serving now, its retraining and the cohort backfill', response: { 200: modelStateSchema } } },
    async () => modelState(),
  )

  app.post(
    '/api/cohorts/reclassify',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Re-evaluate every profile's cohorts in the background (ingestion goes on); progress on GET /api/model",
        response: { 202: modelStateSchema },
      },
    },
    async (_request, reply) => {
      ctx.cohorts.reclassifier.start('requested through the API')
      return reply.code(202).send(modelState())
    },
  )

  app.post(
    '/api/classify',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Classify interests without storing anything; explain=true adds why',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['interests'],
          properties: { interests: stringList(1, MAX_CLASSIFY), explain: { type: 'boolean', default: false } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              model_version: { type: 'string' },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    text: { type: 'string' },
                    cohorts: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, score: { type: 'number' } } } },
                    explanation: { type: 'object', additionalProperties: true },
                  },
                },
              },
            },
          },
          400: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const body = request.body
      const classifier = ctx.cohorts.classifier
      return {
        model_version: classifier.version,
        results: body.interests.map((text) => ({
          text,
          cohorts: classifier.classify(text).map((c) => ({ name: c.cohort, score: c.score })),
          ...(body.explain ? { explanation: classifier.explain(text) } : {}),
        })),
      }
    },
  )
}
