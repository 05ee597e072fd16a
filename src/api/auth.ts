// API keys: random bearer tokens stored as SHA-256 hashes, each with scopes.
// A key is 32 random bytes, so a fast hash is enough (no password stretching needed), and lookups
// are cached briefly because every request checks one.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'
import type { ApiKeyStore } from '../storage/ports/keys.ts'

export const SCOPES = ['ingest', 'read', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

const CACHE_MS = 10_000

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

export function generateKey(): string {
  return `cdp_${randomBytes(32).toString('base64url')}`
}

export function parseScopes(text: string): Scope[] {
  const scopes = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))]
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s))
  if (bad.length > 0 || scopes.length === 0) {
    throw new AppError('invalid_input', `scopes must be a comma-separated list of ${SCOPES.join(', ')} (got "${text}")`)
  }
  return scopes as Scope[]
}

export async function createKey(store: Pick<ApiKeyStore, 'createApiKey'>, input: { name: string; scopes: Scope[]; key?: string }): Promise<{ id: string; key: string }> {
  const key = input.key ?? generateKey()
  const id = `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  await store.createApiKey({ id, keyHash: hashKey(key), name: input.name, scopes: input.scopes, now: Date.now() })
  return { id, key }
}

/**
 * Makes sure an admin key exists: CDP_ADMIN_KEY when set, else a generated one on the very first
 * start. Returns the generated key so the caller can print it once; it is never stored in clear.
 */
export async function ensureBootstrapKey(store: Pick<ApiKeyStore, 'countApiKeys' | 'createApiKey' | 'findApiKeyByHash'>, adminKey: string | undefined): Promise<string | undefined> {
  if (adminKey) {
    if (!(await store.findApiKeyByHash(hashKey(adminKey)))) {
      await createKey(store, { name: 'bootstrap (CDP_ADMIN_KEY)', scopes: [...SCOPES], key: adminKey })
    }
    return undefined
  }
  if ((await store.countApiKeys()) > 0) return undefined
  const { key } = await createKey(store, { name: 'bootstrap (first start)', scopes: [...SCOPES] })
  return key
}

/**
 * The key of a Bearer header, or of a Basic one whose user name is the key (the Segment spec's write
 * key; the password is ignored), so Segment's libraries authenticate unchanged.
 */
export function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (bearer?.[1]) return bearer[1]
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (!basic?.[1]) return undefined
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded
  return user === '' ? undefined : user
}

export function createAuthenticator(store: Pick<ApiKeyStore, 'findApiKeyByHash'>) {
  const cache = new Map<string, { scopes: readonly string[] | null; id: string | null; until: number }>()
  /** `bodyKey`: a key sent in the body where no header can be set (the Segment spec's writeKey, sendBeacon). */
  return async function authenticate(request: FastifyRequest, scope: Scope, bodyKey?: string): Promise<void> {
    const key = keyFromHeader(request.headers.authorization) ?? bodyKey
    if (!key) {
      throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <key>" (create one with `cdp keys create`)')
    }
    const hash = hashKey(key)
    const now = Date.now()
    let entry = cache.get(hash)
    if (!entry || entry.until < now) {
      const row = await store.findApiKeyByHash(hash)
      entry = { scopes: row && row.revokedAt === null ? row.scopes : null, id: row?.id ?? null, until: now + CACHE_MS }
      if (cache.size > 10_000) cache.clear()
      cache.set(hash, entry)
    }
    if (!entry.scopes) throw new AppError('unauthorized', 'invalid or revoked API key: check the Authorization header')
    if (!entry.scopes.includes(scope)) {
      throw new AppError('forbidden', `this API key lacks the "${scope}" scope: use a key created with --scopes ${scope}`)
    }
    // Who asked, for audit logs (privacy jobs, unmerges): the key's id, never the key.
    request.apiKeyId = entry.id
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the API key that authenticated the request; undefined on open routes. */
    apiKeyId?: string | null
  }
}
