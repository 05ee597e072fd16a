// `cdp keys create|list|revoke`.
import { createKey, parseScopes } from '../api/auth.ts'
import type { Config } from '../config.ts'
import { openStore } from '../compose.ts'
import type { Store } from '../storage/ports/store.ts'

async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config)
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

export async function createKeyCommand(config: Config, options: { scopes: string; name?: string }): Promise<void> {
  const scopes = parseScopes(options.scopes)
  const { id, key } = await withStore(config, (store) => createKey(store, { name: options.name ?? `cli ${scopes.join(',')}`, scopes }))
  process.stderr.write(`created key ${id} with scopes ${scopes.join(', ')}; it is shown only this once:\n`)
  process.stdout.write(`${key}\n`)
}

export async function listKeysCommand(config: Config): Promise<void> {
  const keys = await withStore(config, (store) => store.listApiKeys())
  for (const k of keys) {
    const state = k.revokedAt === null ? 'active' : `revoked ${new Date(k.revokedAt).toISOString()}`
    process.stdout.write(`${k.id}\t${k.scopes.join(',')}\t${state}\t${k.name}\n`)
  }
}

export async function revokeKeyCommand(config: Config, id: string): Promise<void> {
  const revoked = await withStore(config, (store) => store.revokeApiKey(id, Date.now()))
  if (!revoked) throw new Error(`no active API key with id "${id}" (see \`cdp keys list\`)`)
  process.stdout.write(`revoked ${id}\n`)
}
