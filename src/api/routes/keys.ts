// API keys (admin): create, list, revoke. The key itself is shown once, at creation.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'
import { createKey, SCOPES } from '../auth.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    revoked_at: { type: ['string', 'null'] },
  },
} as const

export async function keyRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.post(
    '/api/keys',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create an API key; the response holds the key, shown only this once',
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] }, minItems: 1, uniqueItems: true },
          },
          required: ['name', 'scopes'],
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', properties: { id: { type: 'string' }, key: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } } },
          400: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const { id, key } = await createKey(ctx.store, { name: body.name, scopes: body.scopes })
      return reply.code(201).send({ id, key, scopes: body.scopes })
    },
  )

  app.get(
    '/api/keys',
    { config: { scope: 'admin' }, schema: { summary: 'List API keys (never the keys themselves)', response: { 200: { type: 'array', items: keySchema } } } },
    async () =>
      (await ctx.store.listApiKeys()).map((k) => ({
        id: k.id,
        name: k.name,
        scopes: k.scopes,
        created_at: new Date(k.createdAt).toISOString(),
        revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
      })),
  )

  app.delete(
    '/api/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Revoke an API key (takes effect within 10 seconds on every server)',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 204: { type: 'null' }, 404: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      if (!(await ctx.store.revokeApiKey(id, Date.now()))) throw new AppError('not_found', `no active API key with id "${id}"`)
      return reply.code(204).send()
    },
  )
}
