// Emails are the identifier that merges profiles, so placeholders and typos must never get through.

/** The comparable form of an address: trimmed and lower-cased (local parts are case-insensitive in practice). */
export function normalizeEmail(s: string): string {
  return s.trim().toLowerCase()
}

const JUNK_IDENTIFIERS = new Set(['', 'null', 'undefined', '0', 'none', 'n/a', 'nan', '-'])

/** Placeholders that look like identifiers but name nobody (what exports write for empty cells). */
export function isJunkIdentifier(s: string): boolean {
  return JUNK_IDENTIFIERS.has(s.trim().toLowerCase())
}

/**
 * Addresses people type into forms when they don't want to give theirs. Were they kept, every
 * visitor who typed "test@test.com" would merge into one giant profile.
 */
export const DEFAULT_EMAIL_BLOCKLIST: readonly string[] = Object.freeze([
  'test@test.com',
  'test@example.com',
  'test@gmail.com',
  'test@test.test',
  'noreply@example.com',
  'no-reply@example.com',
  'noreply@gmail.com',
  'noreply@test.com',
  'donotreply@example.com',
  'a@a.com',
  'a@b.com',
  'abc@abc.com',
  'asdf@asdf.com',
  'email@email.com',
  'email@example.com',
  'user@example.com',
  'example@example.com',
  'name@example.com',
  'john.doe@example.org',
  'foo@bar.com',
  'none@none.com',
  'null@null.com',
  'nobody@nowhere.com',
  'no@email.com',
  'noemail@noemail.com',
])

const MAX_EMAIL_LENGTH = 254
const MAX_LOCAL_PART_LENGTH = 64
// Pragmatic, not RFC 5322: no quoted local parts or IP-literal domains, which forms never produce.
const LOCAL_PART = /^[^\s@"(),:;<>[\\\]]+$/
const DOMAIN = /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/u

/** What is wrong with a normalized address, phrased to follow `email "..."`; null when it looks deliverable. */
export function describeEmailProblem(email: string): string | null {
  if (email.length > MAX_EMAIL_LENGTH) return `is longer than ${MAX_EMAIL_LENGTH} characters`
  if (/\s/.test(email)) return 'contains spaces'
  const at = email.indexOf('@')
  if (at < 0) return 'has no "@"'
  if (at !== email.lastIndexOf('@')) return 'has more than one "@"'
  const local = email.slice(0, at)
  const domain = email.slice(at + 1)
  if (local === '') return 'has nothing before the "@"'
  if (domain === '') return 'has no domain after the "@"'
  if (local.length > MAX_LOCAL_PART_LENGTH) return `has more than ${MAX_LOCAL_PART_LENGTH} characters before the "@"`
  if (!LOCAL_PART.test(local)) return 'has characters that are not allowed before the "@"'
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'has a misplaced dot before the "@"'
  if (!domain.includes('.')) return `has no dot in its domain "${domain}"`
  if (!DOMAIN.test(domain)) return `has an invalid domain "${domain}"`
  return null
}
