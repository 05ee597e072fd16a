// An in-process app over a fresh test database, with keys for each scope.
import type { FastifyInstance } from 'fastify'
import { type AppDependencies, appDependencies, buildApp } from '../../src/api/app.ts'
import { createKey, ensureBootstrapKey } from '../../src/api/auth.ts'
import { openRuntime, type Runtime, type RuntimeOptions } from '../../src/compose.ts'
import { createTestDatabase, type TestDatabase } from './db.ts'

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef'

export interface TestApp {
  app: FastifyInstance
  runtime: Runtime
  database: TestDatabase
  keys: { admin: string; read: string; ingest: string }
  /** Authorization headers for a scope. */
  auth(scope: 'admin' | 'read' | 'ingest'): { authorization: string }
  ingest(records: unknown, options?: { source?: string }): Promise<{ status: number; body: IngestBody }>
  user(query: Record<string, string>): Promise<{ status: number; body: { user_profile: UserProfile } }>
  close(): Promise<void>
}

export interface IngestBody {
  status: string
  records_processed: number
  records_failed: number
  duplicates: number
  errors: Array<{ record: number; field: string; reason: string; message: string }>
  warnings: Array<{ record: number; field: string; reason: string; message: string }>
}

export interface UserProfile {
  profile_id: string
  cookie: string | null
  cookies: string[]
  email: string | null
  phone_number: string | null
  location: string | null
  location_detail: { city: string | null; state: string | null; country: string | null; country_code: string | null }
  demographics: { age: number | null; gender: string | null; income: string | null; education: string | null }
  interests: string[]
  cohorts: string[]
  traits: Record<string, unknown>
  first_seen: string
  last_seen: string
}

/** `app`: dependencies of the app to replace (the console's build folder, say). */
export async function createTestApp(overrides: Record<string, string> = {}, options: RuntimeOptions = {}, app: Partial<AppDependencies> = {}): Promise<TestApp> {
  return openTestApp(await createTestDatabase({ CDP_ADMIN_KEY: ADMIN_KEY, ...overrides }), options, app)
}

/** The app over a database the caller made (fault tests bring their own server or disk); its config must set CDP_ADMIN_KEY to ADMIN_KEY. */
export async function openTestApp(database: TestDatabase, options: RuntimeOptions = {}, appOverrides: Partial<AppDependencies> = {}): Promise<TestApp> {
  const runtime = await openRuntime(database.config, options)
  await ensureBootstrapKey(runtime.store, database.config.adminKey)
  const read = (await createKey(runtime.store, { name: 'read', scopes: ['read'] })).key
  const ingestKey = (await createKey(runtime.store, { name: 'ingest', scopes: ['ingest'] })).key
  const app = await buildApp({ ...appDependencies(runtime), ...appOverrides })
  const keys = { admin: ADMIN_KEY, read, ingest: ingestKey }
  const auth = (scope: 'admin' | 'read' | 'ingest') => ({ authorization: `Bearer ${keys[scope]}` })
  return {
    app,
    runtime,
    database,
    keys,
    auth,
    async ingest(records, options = {}) {
      const response = await app.inject({
        method: 'POST',
        url: `/api/ingest${options.source ? `?source=${encodeURIComponent(options.source)}` : ''}`,
        headers: { ...auth('ingest'), 'content-type': 'application/json' },
        payload: JSON.stringify(records),
      })
      return { status: response.statusCode, body: response.json() as IngestBody }
    },
    async user(query) {
      const response = await app.inject({ method: 'GET', url: '/api/user', query, headers: auth('read') })
      return { status: response.statusCode, body: response.json() }
    },
    async close() {
      await app.close()
      await runtime.close()
      await database.drop()
    },
  }
}
