// GET /api/auth/key: who the calling key is and what it may do, so a client (the console) shows only
// what the key allows. Any valid key may ask; the answer never holds the key or its hash.
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import type { RouteContext } from '../app.ts'
import { hashKey, keyFromHeader } from '../auth.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

export async function authRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  app.get(
    '/api/auth/key',
    {
      schema: {
        summary: "The calling key's id, name and scopes (any scope may ask)",
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } },
            required: ['id', 'name', 'scopes'],
          },
          401: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const key = keyFromHeader(request.headers.authorization)
      if (!key) throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <key>" (create one with `cdp keys create`)')
      const row = await ctx.store.findApiKeyByHash(hashKey(key))
      if (!row || row.revokedAt !== null) throw new AppError('unauthorized', 'invalid or revoked API key: check the Authorization header')
      request.apiKeyId = row.id
      return { id: row.id, name: row.name, scopes: row.scopes }
    },
  )
}
