// An API key as stored: only a hash of the secret is kept.

export interface ApiKeyRow {
  id: string
  name: string
  scopes: string[]
  createdAt: number
  revokedAt: number | null
}
