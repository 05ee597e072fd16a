// Privacy routes: erasure (DELETE /api/user, POST /api/privacy/erasures), suppression, the access export.
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../app.ts'

export async function privacyRoutes(_fastify: FastifyInstance, _ctx: RouteContext): Promise<void> {}
