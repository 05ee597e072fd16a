// Validation and normalization: one raw record → an Observation, or the reasons it was rejected.
// Pure and synchronous. Every problem of a record is reported, each naming its field and what to fix.
import type { CountryCode } from 'libphonenumber-js'
import type { FieldIssue, Observation, ProfileFields, ValidationResult } from '../../domain/types.ts'
import {
  collapse,
  countryCode,
  countryName,
  emailProblem,
  isJunkIdentifier,
  MAX_INTERESTS,
  normalizeEmail,
  normalizeGender,
  normalizeInterest,
  normalizePhone,
  normalizeState,
  parseTimestamp,
} from './normalize.ts'

export { DEFAULT_EMAIL_BLOCKLIST, isJunkIdentifier, normalizeEmail } from './normalize.ts'

export interface ValidateOptions {
  receivedAt: number
  emailBlocklist: ReadonlySet<string>
  defaultPhoneCountry?: CountryCode
}

const MAX_COOKIE_LENGTH = 200
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000

// Where each profile field may be found: nested as in the customer's format, or flat.
const LOCATION_KEYS = ['city', 'state', 'country', 'country_code'] as const
const DEMOGRAPHIC_KEYS = ['age', 'gender', 'income', 'education'] as const
const KNOWN_TOP = new Set([
  'cookie', 'email', 'phone', 'phone_number', 'location', 'demographics', 'interests', 'timestamp', 'observed_at',
  ...LOCATION_KEYS, ...DEMOGRAPHIC_KEYS,
])

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A present, non-empty scalar as text; undefined when absent or empty. */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value.trim() === '' ? undefined : value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

function show(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

export function validateRecord(value: unknown, options: ValidateOptions): ValidationResult {
  if (!isPlainObject(value)) {
    return {
      kind: 'rejected',
      errors: [{ field: '', reason: 'not_an_object', message: `a record must be a JSON object with at least a cookie, got ${Array.isArray(value) ? 'an array' : show(value)}` }],
    }
  }
  const errors: FieldIssue[] = []
  const warnings: FieldIssue[] = []
  const fields: ProfileFields = {}
  const traits: Record<string, unknown> = {}

  // Cookie: mandatory.
  let cookie = ''
  const rawCookie = value.cookie
  if (rawCookie === undefined || rawCookie === null || (typeof rawCookie === 'string' && isJunkIdentifier(rawCookie))) {
    errors.push({ field: 'cookie', reason: 'missing_cookie', message: "cookie is required: every profile record needs the visitor's cookie id" })
  } else if (typeof rawCookie !== 'string' && typeof rawCookie !== 'number') {
    errors.push({ field: 'cookie', reason: 'invalid_cookie', message: `cookie must be a string, got ${show(rawCookie)}` })
  } else {
    cookie = String(rawCookie).trim()
    if (cookie.length > MAX_COOKIE_LENGTH) {
      errors.push({ field: 'cookie', reason: 'invalid_cookie', message: `cookie must be at most ${MAX_COOKIE_LENGTH} characters, got ${cookie.length}` })
    } else if (isJunkIdentifier(cookie)) {
      errors.push({ field: 'cookie', reason: 'missing_cookie', message: `cookie "${cookie}" is a placeholder, not a visitor id: send the real cookie` })
    }
  }

  // Email: optional; invalid rejects the record, placeholders are dropped with a warning.
  let email: string | null = null
  const rawEmail = value.email
  if (rawEmail !== undefined && rawEmail !== null) {
    if (typeof rawEmail !== 'string') {
      errors.push({ field: 'email', reason: 'invalid_email', message: `email must be a string, got ${show(rawEmail)}` })
    } else if (!isJunkIdentifier(rawEmail)) {
      const normalized = normalizeEmail(rawEmail)
      const problem = emailProblem(normalized)
      if (problem) {
        errors.push({ field: 'email', reason: 'invalid_email', message: `email "${show(rawEmail)}" ${problem}: send a valid address or leave it out` })
      } else if (options.emailBlocklist.has(normalized)) {
        warnings.push({ field: 'email', reason: 'blocked_email', message: `email "${normalized}" is a placeholder on the blocklist: ignored, so it never merges anyone` })
      } else {
        email = normalized
      }
    }
  }

  const location = isPlainObject(value.location) ? value.location : {}
  const demographics = isPlainObject(value.demographics) ? value.demographics : {}
  if (value.location !== undefined && value.location !== null && !isPlainObject(value.location)) {
    const city = text(value.location)
    if (city) fields.city = collapse(city)
    else warnings.push({ field: 'location', reason: 'bad_field', message: 'location should be an object like {"city": "...", "country": "..."}: ignored' })
  }
  if (value.demographics !== undefined && value.demographics !== null && !isPlainObject(value.demographics)) {
    warnings.push({ field: 'demographics', reason: 'bad_field', message: 'demographics should be an object like {"age": 35}: ignored' })
  }
  const pick = (group: Record<string, unknown>, groupName: string, key: string): { value: unknown; path: string } => {
    if (group[key] !== undefined && group[key] !== null && group[key] !== '') return { value: group[key], path: `${groupName}.${key}` }
    return { value: value[key], path: key }
  }

  // Location.
  const country = pick(location, 'location', 'country')
  const countryText = text(country.value)
  const codeText = text(pick(location, 'location', 'country_code').value)
  let code: string | null = null
  if (codeText) code = countryCode(codeText)
  if (countryText) {
    const fromName = countryCode(countryText)
    code = fromName ?? code
    fields.country = fromName ? countryName(fromName) : collapse(countryText)
    fields.country_code = code
  } else if (code) {
    fields.country = countryName(code)
    fields.country_code = code
  }
  const city = text(pick(location, 'location', 'city').value)
  if (city) fields.city = collapse(city)
  const state = text(pick(location, 'location', 'state').value)
  if (state) fields.state = normalizeState(state, code)

  // Phone: E.164 when possible; else kept raw and flagged.
  const phoneValue = value.phone ?? value.phone_number
  const phone = text(phoneValue)
  if (phone) {
    const phoneField = value.phone !== undefined ? 'phone' : 'phone_number'
    const e164 = normalizePhone(phone, (code as CountryCode | null) ?? options.defaultPhoneCountry)
    fields.phone_raw = phone.trim()
    fields.phone = e164
    if (!e164) {
      warnings.push({ field: phoneField, reason: 'invalid_phone', message: `${phoneField} "${show(phone)}" is not a phone number we can read: kept as given, not E.164` })
    }
  }

  // Demographics.
  const age = pick(demographics, 'demographics', 'age')
  const ageText = text(age.value)
  if (ageText !== undefined) {
    const n = Number(ageText.trim())
    if (!Number.isInteger(n) || n < 0 || n > 120 || ageText.trim() === '') {
      errors.push({ field: age.path, reason: 'bad_age', message: `${age.path} must be a whole number from 0 to 120, got ${show(age.value)}` })
    } else {
      fields.age = n
    }
  } else if (age.value !== undefined && age.value !== null && age.value !== '') {
    errors.push({ field: age.path, reason: 'bad_age', message: `${age.path} must be a whole number from 0 to 120, got ${show(age.value)}` })
  }
  const gender = text(pick(demographics, 'demographics', 'gender').value)
  if (gender) fields.gender = normalizeGender(gender)
  const income = text(pick(demographics, 'demographics', 'income').value)
  if (income) fields.income = collapse(income)
  const education = text(pick(demographics, 'demographics', 'education').value)
  if (education) fields.education = collapse(education)

  // Interests: trimmed, case-folded, de-duplicated, bounded.
  const interests: string[] = []
  const rawInterests = value.interests
  if (rawInterests !== undefined && rawInterests !== null) {
    const items: unknown[] = typeof rawInterests === 'string' ? rawInterests.split(/[;|]/) : Array.isArray(rawInterests) ? rawInterests : [rawInterests]
    const seen = new Set<string>()
    let skipped = 0
    for (const item of items) {
      if (typeof item !== 'string' && typeof item !== 'number') {
        skipped++
        continue
      }
      const interest = normalizeInterest(String(item))
      if (interest === '' || seen.has(interest)) continue
      seen.add(interest)
      interests.push(interest)
    }
    if (skipped > 0) warnings.push({ field: 'interests', reason: 'bad_field', message: `interests must be strings: ${skipped} other value(s) ignored` })
    if (interests.length > MAX_INTERESTS) {
      warnings.push({ field: 'interests', reason: 'bad_field', message: `at most ${MAX_INTERESTS} interests per record: ${interests.length - MAX_INTERESTS} dropped` })
      interests.length = MAX_INTERESTS
    }
  }

  // Observation time: the record's own timestamp when it has one.
  let observedAt = options.receivedAt
  const timeKey = value.timestamp !== undefined ? 'timestamp' : value.observed_at !== undefined ? 'observed_at' : null
  if (timeKey && value[timeKey] !== null && value[timeKey] !== '') {
    const parsed = parseTimestamp(value[timeKey])
    if (parsed === null) {
      errors.push({
        field: timeKey,
        reason: 'bad_timestamp',
        message: `${timeKey} must be an ISO 8601 date-time (2024-01-15T10:30:00Z) or epoch seconds/milliseconds, got ${show(value[timeKey])}`,
      })
    } else if (parsed > options.receivedAt + FUTURE_TOLERANCE_MS) {
      warnings.push({ field: timeKey, reason: 'bad_timestamp', message: `${timeKey} is more than a day in the future: the time of receipt is used instead` })
    } else {
      observedAt = parsed
    }
  }

  // Everything else is a custom trait, kept as given.
  for (const [key, v] of Object.entries(value)) {
    if (!KNOWN_TOP.has(key) && v !== undefined) traits[key] = v
  }
  for (const [key, v] of Object.entries(location)) {
    if (!(LOCATION_KEYS as readonly string[]).includes(key) && v !== undefined) traits[`location.${key}`] = v
  }
  for (const [key, v] of Object.entries(demographics)) {
    if (!(DEMOGRAPHIC_KEYS as readonly string[]).includes(key) && v !== undefined) traits[`demographics.${key}`] = v
  }

  if (errors.length > 0) return { kind: 'rejected', errors }
  const observation: Observation = { cookie, email, observedAt, fields, interests, traits }
  return { kind: 'ok', value: observation, warnings }
}
