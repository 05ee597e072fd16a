// Fixtures shared by the change-stream and webhook tests: the activation routes on their own app,
// segment rows written directly, and polling for a condition.
import Fastify, { type FastifyInstance } from 'fastify'
import { createAuthenticator } from '../../src/api/auth.ts'
import { sendError, toAppError } from '../../src/api/errors.ts'
import type { SegmentActivationDependencies } from '../../src/api/app.ts'
import { changeRoutes } from '../../src/api/routes/changes.ts'
import { webhookRoutes } from '../../src/api/routes/webhooks.ts'
import type { SqlDatabase } from '../../src/storage/sql/open.ts'
import type { Store } from '../../src/storage/ports/store.ts'

/** The activation routes on a Fastify app with the real auth hook and error handler (as buildApp wires them). */
export async function buildActivationApp(keys: Store, deps: SegmentActivationDependencies): Promise<FastifyInstance> {
  const instance = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } } })
  instance.setErrorHandler((error, request, reply) => sendError(request, reply, toAppError(error, { maxBodyBytes: 1024 * 1024, describeOutage: keys.describeOutage })))
  const authenticate = createAuthenticator(keys)
  instance.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope
    if (scope) await authenticate(request, scope)
  })
  await instance.register(changeRoutes, deps)
  await instance.register(webhookRoutes, deps)
  await instance.ready()
  return instance
}

let segmentCounter = 0
/** A ready segment row with no definition to evaluate: changes for it are written by the test. */
export async function insertSegment(database: SqlDatabase): Promise<string> {
  const id = `seg_test${++segmentCounter}_${Date.now().toString(36)}`
  const now = Date.now()
  await database.db
    .insertInto('segments')
    .values({
      id,
      name: `Segment ${id}`,
      name_key: `segment ${id}`,
      description: '',
      definition: '{}',
      required_consent: '[]',
      version: 1,
      members: 0,
      state: 'ready',
      backfill_processed: 0,
      backfill_total: 0,
      created_at: now,
      updated_at: now,
    })
    .execute()
  return id
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
