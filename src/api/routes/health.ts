import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../app.ts'

export async function healthRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: needs no key',
        security: [],
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, storage: { type: 'string' } }, required: ['status', 'storage'] },
        },
      },
    },
    async () => ({ status: 'ok', storage: ctx.store.engine }),
  )
}
