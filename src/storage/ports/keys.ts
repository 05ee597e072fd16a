// API keys: the authenticator and the key routes and CLI.
import type { ApiKeyRow } from '../../domain/api-key.ts'

export interface ApiKeyStore {

  createApiKey(input: { id: string; keyHash: string; name: string; scopes: string[]; now: number }): Promise<void>
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined>
  countApiKeys(): Promise<number>
  listApiKeys(): Promise<ApiKeyRow[]>
  revokeApiKey(id: string, now: number): Promise<boolean>
}
