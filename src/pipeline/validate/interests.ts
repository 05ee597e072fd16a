// Interests: free text from forms and exports, normalized so "Tom  Brady" and "tom brady" are one interest.
import type { FieldIssue } from '../../domain/types.ts'
import { collapseWhitespace, describeValue } from '../../domain/text.ts'

export const MAX_INTERESTS = 100
export const MAX_INTEREST_LENGTH = 100

// CSV exports put a list in one cell; commas stay because they occur inside single interests.
const LIST_SEPARATOR = /[;|]/

/** One interest: NFKC (full-width letters, ligatures), collapsed whitespace, lower case, at most 100 chars. */
export function normalizeInterest(text: string): string {
  const normalized = collapseWhitespace(text.normalize('NFKC')).toLowerCase()
  if (normalized.length <= MAX_INTEREST_LENGTH) return normalized
  let end = MAX_INTEREST_LENGTH
  // Never cut a surrogate pair in half.
  const last = normalized.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return normalized.slice(0, end).trimEnd()
}

/** The record's interests, de-duplicated in first-seen order; problems become warnings, never rejections. */
export function readInterests(raw: unknown, field: string, warnings: FieldIssue[]): string[] {
  let items: readonly unknown[]
  if (typeof raw === 'string') items = raw.split(LIST_SEPARATOR)
  else if (Array.isArray(raw)) items = raw
  else {
    warnings.push({
      field,
      reason: 'bad_field',
      message: `${field} must be a list of strings or one string separated by ";" or "|", got ${describeValue(raw)}: ignored`,
    })
    return []
  }

  const interests: string[] = []
  const seen = new Set<string>()
  let skipped = 0
  let index = 0
  for (; index < items.length && interests.length < MAX_INTERESTS; index++) {
    const item = items[index]
    if (typeof item !== 'string') {
      skipped++
      continue
    }
    const interest = normalizeInterest(item)
    if (interest === '' || seen.has(interest)) continue
    seen.add(interest)
    interests.push(interest)
  }
  if (skipped > 0) {
    warnings.push({ field, reason: 'bad_field', message: `${field} must contain only strings: ${skipped} other item(s) ignored` })
  }
  // Only items that would have added a new interest count as dropped.
  let dropped = 0
  for (; index < items.length; index++) {
    const item = items[index]
    if (typeof item !== 'string') continue
    const interest = normalizeInterest(item)
    if (interest !== '' && !seen.has(interest)) {
      seen.add(interest)
      dropped++
    }
  }
  if (dropped > 0) {
    warnings.push({
      field,
      reason: 'bad_field',
      message: `${field} has more than ${MAX_INTERESTS} distinct interests: kept the first ${MAX_INTERESTS}, dropped ${dropped}`,
    })
  }
  return interests
}
