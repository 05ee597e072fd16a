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
  /** (cookie, email) links an admin refused (an unmerge) among the batch's cookies, as refusedLinkKey. */
  refused?: ReadonlySet<string>
  /** profile id -> how many cookies it holds ("uid:" keys aside), for the loaded profiles: the cookie guardrail. */
  cookieCounts?: ReadonlyMap<string, number>
}

/** Identity guardrails (config.identityLimits; docs/privacy.md "Guardrails"). */
export interface IdentityLimits {
  readonly maxCookiesPerPerson: number
  readonly sharedDeviceEmails: number
}

/** The cookie a message keyed only by a Segment userId carries: "uid:<userId>" (a person, not a device). */
export const USER_ID_COOKIE_PREFIX = 'uid:'

/**
 * The cookie key of a shared device's own anonymous profile: "shared:<cookie>". The device's cookie
 * keeps moving to its newest login; what nobody logged in for stays here (resolve-batch.ts rule 5).
 */
export const SHARED_DEVICE_PREFIX = 'shared:'

export function refusedLinkKey(cookie: string, email: string): string {
  return `${cookie}\u0000${email}`
}

export interface MergeLogEntry {
  survivorId: string
  absorbedId: string | null
  /** refused: a guardrail or a refused link kept the identifier away (detail.rule says which). */
  reason: 'email_attached' | 'email_match' | 'cookie_moved' | 'identifier_moved' | 'refused' | 'manual' | 'unmerged'
  /** cookie, email, user (a user_id), or a linked kind as the API names it (phone, device_id, …). */
  identifierKind: string
  identifier: string
  /** The raw record that caused it; null for an admin's action. */
  rawId: number | null
  detail?: Record<string, unknown>
}

/**
 * A merge log row as stored, with the raw record that caused it (when it still exists). A row that
 * was two people's history and outlived the erasure of one of them has that person's profile id and
 * identifier cleared: survivorId, absorbedId or identifier is then null.
 */
export interface StoredMergeEntry extends Omit<MergeLogEntry, 'survivorId' | 'identifier'> {
  survivorId: string | null
  identifier: string | null
  id: number
  createdAt: number
  raw: { id: number; source: string; receivedAt: number } | null
}

export function identityKey(kind: 'cookie' | 'email' | 'profile', value: string): string {
  return `${kind}:${value}`
}

/** Identity rows name a user_id "user" (as stored since issue #8); every other kind by its API name. */
export function storedIdentityKind(kind: string): string {
  return kind === 'user_id' ? 'user' : kind === 'profile_id' ? 'profile' : kind
}

export function apiIdentityKind(stored: string): string {
  return stored === 'user' ? 'user_id' : stored === 'profile' ? 'profile_id' : stored
}
