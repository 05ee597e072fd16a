// Builds the Fastify app: error shape, auth, OpenAPI, and one plugin per resource.
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import type { CohortService } from '../cohorts/service.ts'
import type { Config } from '../config.ts'
import type { Runtime } from '../compose.ts'
import type { SegmentService } from '../segments/service.ts'
import type { IdentityService } from '../privacy/identity-service.ts'
import type { PrivacyService } from '../privacy/service.ts'
import { AppError } from '../errors.ts'
import type { IngestPipeline } from '../pipeline/run.ts'
import { createAuthenticator, type Scope } from './auth.ts'
import { sendError, toAppError } from './errors.ts'
import { serializeRequest } from './http/log-redaction.ts'
import { checkCoercedNumbers, checkRequestInput } from './input.ts'
import { type ChangeRouteDependencies, changeRoutes } from './routes/changes.ts'
import { authRoutes } from './routes/auth.ts'
import { cohortRoutes } from './routes/cohorts.ts'
import { consoleSite } from './routes/console.ts'
import { eventRoutes } from './routes/events.ts'
import { healthRoutes } from './routes/health.ts'
import { identityRoutes } from './routes/identity.ts'
import { ingestRoutes } from './routes/ingest.ts'
import { keyRoutes } from './routes/keys.ts'
import { mergeRoutes } from './routes/merges.ts'
import { likelyMatchRoutes } from './routes/likely-matches.ts'
import type { LikelyMatchService } from '../privacy/likely-matches.ts'
import { privacyRoutes } from './routes/privacy.ts'
import { modelRoutes } from './routes/model.ts'
import { rawRoutes } from './routes/raw.ts'
import { segmentApiRoutes } from './routes/segment-api.ts'
import { segmentRoutes } from './routes/segments.ts'
import { snippetRoutes } from './routes/snippet.ts'
import { statsRoutes } from './routes/stats.ts'
import { userRoutes } from './routes/users.ts'
import type { Store } from '../storage/ports/store.ts'
import { type WebhookRouteDependencies, webhookRoutes } from './routes/webhooks.ts'

/** What a segment's change stream and its webhooks need: one store, the notifier, the dispatcher. */
export type SegmentActivationDependencies = ChangeRouteDependencies & WebhookRouteDependencies

export interface AppDependencies {
  config: Pick<Config, 'maxBodyBytes' | 'logLevel' | 'identity' | 'identityLimits' | 'defaultPhoneCountry'>
  store: Store
  pipeline: IngestPipeline
  cohorts: CohortService
  segments: SegmentService
  /** Erasure, suppression, the access export, retention. */
  privacy: PrivacyService
  /** Merge history, unmerge, manual merge. */
  identity: IdentityService
  /** Likely matches between anonymous profiles (CDP_LIKELY_MATCHES). */
  likelyMatches: LikelyMatchService
  /** The change stream and webhooks of segments. */
  activation: SegmentActivationDependencies
  /** The console's build (index.html and assets/); when it is missing, `/` says how to build it. */
  consoleDir: string
}

export interface RouteContext extends AppDependencies {
  authenticate: (request: import('fastify').FastifyRequest, scope: Scope, bodyKey?: string) => Promise<void>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope
  }
}

/** What the app needs, taken from an opened runtime. */
export function appDependencies(runtime: Runtime): AppDependencies {
  return {
    config: runtime.config,
    store: runtime.store,
    pipeline: runtime.pipeline,
    cohorts: runtime.cohorts,
    segments: runtime.segments,
    privacy: runtime.privacy,
    identity: runtime.identity,
    likelyMatches: runtime.likelyMatches,
    activation: { store: runtime.activation, notifier: runtime.notifier, dispatcher: runtime.webhooks, consentPurposes: runtime.config.consentPurposes },
    consoleDir: defaultConsoleDir(),
  }
}

/**
 * Where `npm run build` puts the console: web/ beside the compiled api/ folder (dist/web for
 * dist/api/app.js); running from src/ (tsx), the default build's dist/web.
 */
export function defaultConsoleDir(): string {
  const besideBuild = fileURLToPath(new URL('../web/', import.meta.url))
  if (existsSync(`${besideBuild}index.html`)) return besideBuild
  return fileURLToPath(new URL('../../dist/web/', import.meta.url))
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    // Request logs name the path and redact query values (identifiers arrive in query strings), and
    // leave out the client's address: see api/http/log-redaction.ts and docs/privacy.md (Logs).
    logger: deps.config.logLevel === 'silent' ? false : { level: deps.config.logLevel, serializers: { req: serializeRequest } },
    bodyLimit: deps.config.maxBodyBytes,
    genReqId: () => `req_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    // verbose: errors carry the value that failed, so messages can show it ("got ...").
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false, verbose: true } },
    // Fastify's own answers to bad URLs (a 3,000-character path segment: 414) use our envelope too.
    frameworkErrors: (error, request, reply) => {
      const appError = toAppError(error, { maxBodyBytes: deps.config.maxBodyBytes, describeOutage: deps.store.describeOutage })
      if (appError.code === 'internal') request.log.error({ err: error }, 'request failed')
      sendError(request, reply, appError)
    },
  })

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, { maxBodyBytes: deps.config.maxBodyBytes, describeOutage: deps.store.describeOutage })
    if (appError.code === 'internal') request.log.error({ err: error }, 'request failed')
    else if (appError.code === 'unavailable') request.log.warn({ err: error }, 'request failed: the database is unavailable')
    return sendError(request, reply, appError)
  })
  const site = consoleSite(deps.consoleDir)
  app.setNotFoundHandler((request, reply) =>
    site.fallback(request, reply) ??
    sendError(request, reply, new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}: see /docs for the API`)),
  )

  // After authentication (onRequest), before schema validation: see input.ts.
  app.addHook('preValidation', async (request) => checkRequestInput(request))
  app.addHook('preHandler', async (request) => checkCoercedNumbers(request))

  // Declared up front so every request object has the same shape (V8 keeps one hidden class).
  app.decorateRequest('apiKeyId', null)
  const authenticate = createAuthenticator(deps.store)
  // Every route declares its scope in config; routes without one (health, docs) are open.
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope
    if (scope) await authenticate(request, scope)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CDP API',
        version: '0.1.0',
        description: 'Collect profiles, resolve identity, classify interests into cohorts, and serve them.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic', description: 'the Segment spec: the write key as user name' } } },
      security: [{ bearer: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const context: RouteContext = { ...deps, authenticate }
  await app.register(healthRoutes, context)
  await app.register(identityRoutes, context)
  await app.register(snippetRoutes)
  await app.register(ingestRoutes, context)
  await app.register(segmentApiRoutes, context)
  // Before userRoutes' GET /api/user: /api/user/merges and /api/user/export are their own routes.
  await app.register(privacyRoutes, context)
  await app.register(mergeRoutes, context)
  await app.register(likelyMatchRoutes, context)
  await app.register(userRoutes, context)
  await app.register(eventRoutes, context)
  await app.register(cohortRoutes, context)
  await app.register(modelRoutes, context)
  await app.register(segmentRoutes, context)
  await app.register(changeRoutes, deps.activation)
  await app.register(webhookRoutes, deps.activation)
  await app.register(rawRoutes, context)
  await app.register(keyRoutes, context)
  await app.register(authRoutes, context)
  await app.register(statsRoutes, context)
  await app.register(site.consoleRoutes)
  return app
}
