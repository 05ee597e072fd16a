// Identity rows and the merge log: how identifiers point at profiles, as storage keeps them and the
// resolution rules (pipeline/identity) read and write them.
import type { Login, ProfileState } from './profile.ts'

export interface IdentityRow {
  kind: 'cookie' | 'email' | 'profile'
  value: string
  profileId: string
  firstSeen: number
  lastSeen: number
}

export interface ResolveState {
  /** Identity rows for every cookie and email of the batch that is already known. */
  identities: Map<string, IdentityRow>
  /** Every stored login of every cookie of the batch. */
  logins: Map<string, Login[]>
  /** Every profile those identities point at. */
  profiles: Map<string, ProfileState>
}

export interface MergeLogEntry {
  survivorId: string
  absorbedId: string | null
  /** refused: a guardrail or a refused link kept the identifier away (detail.rule says which). */
  reason: 'email_attached' | 'email_match' | 'cookie_moved' | 'refused' | 'manual' | 'unmerged'
  identifierKind: 'cookie' | 'email' | 'user'
  identifier: string
  /** The raw record that caused it; null for an admin's action. */
  rawId: number | null
  detail?: Record<string, unknown>
}

export function identityKey(kind: 'cookie' | 'email' | 'profile', value: string): string {
  return `${kind}:${value}`
}
