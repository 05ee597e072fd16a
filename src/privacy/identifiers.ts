// Identifiers as the privacy operations take them, and their salted hashes: the audit log and the
// suppression list keep only HMAC-SHA256(install salt, …), never an identifier.
import { createHmac } from 'node:crypto'
import type { IdentifierKind, PersonIdentifier } from '../storage/ports/privacy.ts'

export const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['email', 'cookie', 'profile_id', 'user_id']

/** As the store keeps it: emails trimmed and lower-cased, everything else trimmed. */
export function normalizeIdentifier(identifier: PersonIdentifier): PersonIdentifier {
  const value = identifier.value.trim()
  return { kind: identifier.kind, value: identifier.kind === 'email' ? value.toLowerCase() : value }
}

export function hmac(salt: string, text: string): string {
  return createHmac('sha256', salt).update(text).digest('hex')
}

/** The audit hash of a job's identifiers: one HMAC over them sorted, so the same request hashes the same. */
export function identifiersHash(salt: string, identifiers: readonly PersonIdentifier[]): string {
  const keys = [...new Set(identifiers.map((i) => `${i.kind}:${i.value}`))].sort()
  return hmac(salt, keys.join('\n'))
}

/** A suppression entry's hash; profile ids are not suppressible (no later data carries them). */
export function suppressionHash(salt: string, kind: 'email' | 'cookie' | 'user_id', value: string): string {
  return hmac(salt, `${kind}:${value}`)
}
