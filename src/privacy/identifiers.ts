// Identifiers as the privacy operations take them, and their salted hashes: the audit log and the
// suppression list keep only HMAC-SHA256(install salt, …), never an identifier.
import { createHmac } from 'node:crypto'
import { describeEmailProblem, isJunkIdentifier } from '../domain/email.ts'
import type { IdentifierKind, PersonIdentifier } from '../storage/ports/privacy.ts'

export const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['email', 'cookie', 'profile_id', 'user_id']

/** As the store keeps it: emails trimmed and lower-cased, everything else trimmed. */
export function normalizeIdentifier(identifier: PersonIdentifier): PersonIdentifier {
  const value = identifier.value.trim()
  return { kind: identifier.kind, value: identifier.kind === 'email' ? value.toLowerCase() : value }
}

/**
 * What is wrong with an identifier a request names, as "<key>: <what to fix>"; null when it can name a
 * person. Emails are checked as ingest checks them (domain/email.ts), so an erasure never answers
 * "finished, nothing found" for an address ingest could never have stored. A malformed value that
 * raw records carry anyway is erased with the raw_value option instead.
 */
export function describeIdentifierProblem(identifier: PersonIdentifier): string | null {
  const { kind, value } = normalizeIdentifier(identifier)
  const sent = JSON.stringify(identifier.value)
  if (value === '') return `${kind}: must not be empty`
  if (kind === 'email') {
    const problem = describeEmailProblem(value)
    if (problem !== null) return `email: must be a valid address (got ${sent}); it ${problem}. To erase raw records that carry this exact text, use raw_value`
  } else if (kind !== 'profile_id' && isJunkIdentifier(value)) {
    return `${kind}: ${sent} is a placeholder that names nobody (ingest never keys a person by it). To erase raw records that carry it, use raw_value`
  }
  return null
}

export function hmac(salt: string, text: string): string {
  return createHmac('sha256', salt).update(text).digest('hex')
}

/** The audit hash of a job's identifiers: one HMAC over them sorted, so the same request hashes the same. */
export function identifiersHash(salt: string, identifiers: ReadonlyArray<{ kind: string; value: string }>): string {
  const keys = [...new Set(identifiers.map((i) => `${i.kind}:${i.value}`))].sort()
  return hmac(salt, keys.join('\n'))
}

/** A suppression entry's hash; profile ids are not suppressible (no later data carries them). */
export function suppressionHash(salt: string, kind: 'email' | 'cookie' | 'user_id', value: string): string {
  return hmac(salt, `${kind}:${value}`)
}
