// Consent purposes: how their names are matched, and how a stated consent value reads. Shared by
// validation (a record's `consent`), Segment messages (context.consent.categoryPreferences), segment
// conditions and the config, so every path names a purpose the same way.

export const DEFAULT_CONSENT_PURPOSES: readonly string[] = ['analytics', 'marketing_email', 'advertising', 'personalization']

/** The key a purpose or a Segment consent category is matched by: "Marketing Email" → "marketing_email". */
export function consentPurposeKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

const GRANTED: ReadonlySet<string> = new Set(['true', 'yes', 'granted', '1', 'y', 'on'])
const DENIED: ReadonlySet<string> = new Set(['false', 'no', 'denied', '0', 'n', 'off'])

/**
 * A stated consent value: JSON booleans, the numbers 1 and 0, and the words CSV files and forms use
 * (true/false, yes/no, granted/denied, 1/0, case-insensitive). Null when it says neither.
 */
export function readConsentValue(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value
  if (value === 1 || value === 0) return value === 1
  if (typeof value !== 'string') return null
  const text = value.trim().toLowerCase()
  if (GRANTED.has(text)) return true
  if (DENIED.has(text)) return false
  return null
}

/** One purpose as one record stated it: a row of the consent history (consent_changes). */
export interface ConsentChange {
  profileId: string
  purpose: string
  granted: boolean
  /** The observation time of the record that said so. */
  at: number
  source: string
  /** The raw record that said so; null for a statement made without one. */
  rawId: number | null
}
