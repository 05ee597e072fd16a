// Identity routes: merge history (GET /api/user/merges), unmerge and manual merge.
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../app.ts'

export async function mergeRoutes(_fastify: FastifyInstance, _ctx: RouteContext): Promise<void> {}
