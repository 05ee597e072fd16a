// API keys: the authenticator's lookup by hash, and the key routes and CLI.
import type { ApiKeyRow } from '../../domain/api-key.ts'
import type { ApiKeyStore } from '../ports/keys.ts'
import type { SqlDatabase } from './open.ts'
import type { Database } from './schema.ts'

export function createApiKeyStore(database: SqlDatabase): ApiKeyStore {
  const { db, reader } = database
  return {
    async createApiKey({ id, keyHash, name, scopes, now }) {
      await db.insertInto('api_keys').values({ id, key_hash: keyHash, name, scopes: scopes.join(','), created_at: now, revoked_at: null }).execute()
    },

    async findApiKeyByHash(keyHash) {
      const row = await reader.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst()
      return row ? apiKeyFromRow(row) : undefined
    },

    async countApiKeys() {
      const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async listApiKeys() {
      return (await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(apiKeyFromRow)
    },

    async revokeApiKey(id, now) {
      const result = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
  }
}

function apiKeyFromRow(row: Database['api_keys']): ApiKeyRow {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',').filter(Boolean),
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  }
}

