// GET /api/identity/settings: the identifier kinds this install knows, with their priorities,
// limits and blocked values, as config set them (docs/privacy.md "Identifier kinds").
import type { FastifyInstance } from 'fastify'
import { describeLimit, KEY_KINDS } from '../../domain/identifier-kinds.ts'
import type { RouteContext } from '../app.ts'

export async function identityRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get(
    '/api/identity/settings',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Identifier kinds: priority (1 is highest), limit per person and blocked values',
        response: {
          200: {
            type: 'object',
            properties: {
              kinds: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    kind: { type: 'string' },
                    priority: { type: 'integer' },
                    role: { type: 'string', enum: ['key', 'linked'], description: 'key: resolution runs on it (cookie, email); linked: attached to the person its record resolves to' },
                    limit: {
                      type: 'object',
                      properties: { count: { type: ['integer', 'null'] }, window: { type: 'string', enum: ['ever', 'day', 'week', 'month'] }, text: { type: 'string' } },
                    },
                    blocked: { type: 'array', items: { type: 'string' }, description: 'besides any run of zeroes or dashes' },
                  },
                },
              },
              shared_device_emails: { type: 'integer', description: 'a cookie seen with more emails than this is a shared device' },
            },
          },
        },
      },
    },
    async () => ({
      kinds: ctx.config.identity.kinds.map((k) => ({
        kind: k.kind,
        priority: k.priority,
        role: KEY_KINDS.has(k.kind) ? 'key' : 'linked',
        limit: { count: k.limit.count, window: k.limit.window, text: describeLimit(k.limit) },
        blocked: [...k.blocked],
      })),
      shared_device_emails: ctx.config.identityLimits.sharedDeviceEmails,
    }),
  )
}
