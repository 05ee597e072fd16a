// Validation and normalization: one raw record (JSON, or CSV rows whose cells are all strings) → an
// Observation, or every reason it was rejected. Pure and synchronous. Errors reject the record;
// warnings keep it. Field names are matched loosely first (field-names.ts); each issue names the
// dotted field as it was sent ("demographics.age", "E-mail Address") and says what to fix.
import type { CountryCode } from 'libphonenumber-js'
import { ok, rejected } from '../../domain/outcome.ts'
import type { FieldIssue, Observation, ValidationErrors, ValidationResult } from '../../domain/types.ts'
import { countryDisplayName, toCountryCode } from './country.ts'
import { describeEmailProblem, isJunkIdentifier, normalizeEmail } from '../../domain/email.ts'
import { DEFAULT_IDENTITY_SETTINGS, type IdentifierKindSettings, isBlockedValue, KEY_KINDS } from '../../domain/identifier-kinds.ts'
import { nameFields } from './field-names.ts'
import { normalizeGender } from './gender.ts'
import { parseIncome } from './income.ts'
import { readInterests } from './interests.ts'
import { toE164 } from './phone.ts'
import type { QualityPolicy } from './quality-policy.ts'
import { collapseWhitespace, describeValue, isAbsent, isPlainObject, setOwn } from '../../domain/text.ts'
import { parseTimestamp } from '../../domain/timestamp.ts'
import { usStateName } from './us-states.ts'
import { consentPurposeKey, DEFAULT_CONSENT_PURPOSES, readConsentValue } from '../../domain/consent.ts'
import { PROFILE_FIELD_GROUPS, PROFILE_FIELD_NAMES, PROFILE_FIELDS, type ProfileFields } from '../../domain/profile-fields.ts'

export { DEFAULT_EMAIL_BLOCKLIST, isJunkIdentifier, normalizeEmail } from '../../domain/email.ts'
export { type ParsedIncome, parseIncome } from './income.ts'
export { DEFAULT_QUALITY_POLICIES, parseQualityPolicies, policyForSource, type QualityPolicies, type QualityPolicy } from './quality-policy.ts'

export interface ValidateOptions {
  /** Epoch ms when the record arrived: its observation time when it carries none. */
  receivedAt: number
  /** Normalized addresses that are dropped with a warning instead of identifying anyone. */
  emailBlocklist: ReadonlySet<string>
  /** Country for phone numbers written without "+" (tried after the record's own country). */
  defaultPhoneCountry?: CountryCode
  /** What an invalid optional field costs: the record (`reject`, the default) or only the field. */
  onInvalid?: QualityPolicy
  /** The purposes a record's `consent` may name (config consentPurposes; default DEFAULT_CONSENT_PURPOSES). */
  consentPurposes?: readonly string[]
  /** Linked identifier kinds (config.identity, cookie and email aside) with their blocked values; default: user_id, device_id (phone when declared). */
  identifierKinds?: ReadonlyArray<Pick<IdentifierKindSettings, 'kind' | 'blocked'>>
}

const DEFAULT_LINKED_KINDS = DEFAULT_IDENTITY_SETTINGS.kinds.filter((k) => !KEY_KINDS.has(k.kind))

const MAX_COOKIE_LENGTH = 200
// Clocks drift and time zones get mislabelled; beyond a day ahead the timestamp is simply wrong.
const MAX_FUTURE_MS = 24 * 60 * 60 * 1000

// Profile fields come nested as in the customer's format ({location: {city}}) or flat ({city}).
// These are the record's own names; nameFields has renamed every other spelling to them.
// The nested groups are the field table's: the location group, and the fields shown as demographics.
const LOCATION_KEYS: ReadonlySet<string> = new Set(PROFILE_FIELD_GROUPS.location)
const DEMOGRAPHIC_KEYS: ReadonlySet<string> = new Set(PROFILE_FIELD_NAMES.filter((name) => PROFILE_FIELDS[name].api === 'demographics'))
const RECORD_KEYS: ReadonlySet<string> = new Set([
  'cookie',
  'email',
  'phone',
  'location',
  'demographics',
  'interests',
  'timestamp',
  'consent',
  // user_id is also kept as a trait, as before it was an identifier (segments may test it).
  'identifiers',
  ...LOCATION_KEYS,
  ...DEMOGRAPHIC_KEYS,
])

interface Issues {
  errors: FieldIssue[]
  warnings: FieldIssue[]
  /** A field's name in the record ("email") → the name it was sent as ("E-mail Address"). */
  sentAs: ReadonlyMap<string, string>
  onInvalid: QualityPolicy
}

function sentName(issues: Issues, field: string): string {
  return issues.sentAs.get(field) ?? field
}

/**
 * A field whose value is invalid: rejects the record, or with the drop_field policy is left out
 * and flagged. Only optional fields come here; a bad cookie always rejects.
 */
function invalidField(issues: Issues, issue: FieldIssue): void {
  if (issues.onInvalid === 'drop_field') {
    issues.warnings.push({ ...issue, message: `${issue.message}; dropped ${issue.field} and kept the record (quality policy drop_field)` })
  } else {
    issues.errors.push(issue)
  }
}

/** A value found in the record, with the dotted path that issues about it name. */
interface Found {
  value: unknown
  field: string
}

type Group = Record<string, unknown>

export function validateRecord(value: unknown, opts: ValidateOptions): ValidationResult {
  if (!isPlainObject(value)) {
    const message = `a record must be a JSON object with at least a "cookie", got ${describeValue(value)}`
    return rejectedWith({ errors: [{ field: '', reason: 'not_an_object', message }] })
  }
  const warnings: FieldIssue[] = []
  const named = nameFields(value, warnings)
  const record = named.record
  const issues: Issues = { errors: [], warnings, sentAs: named.sentAs, onInvalid: opts.onInvalid ?? 'reject' }
  const traits: Record<string, unknown> = {}
  const location = readGroup(record, 'location', issues, traits)
  const demographics = readGroup(record, 'demographics', issues, traits)

  const cookie = readCookie(record.cookie, issues, named.lookalikes.get('cookie'))
  const email = readEmail(record.email, opts.emailBlocklist, issues)
  const fields: ProfileFields = {}
  const countryCode = readLocation({ record, location, fields, issues })
  readPhone({ found: findTop(record, 'phone', issues), countryCode, opts, fields, issues })
  readDemographics({ record, demographics, fields, issues })
  const interests = isAbsent(record.interests) ? [] : readInterests(record.interests, sentName(issues, 'interests'), issues.warnings)
  const observedAt = readObservedAt(findTop(record, 'timestamp', issues), opts.receivedAt, issues)
  const consent = readConsent(findTop(record, 'consent', issues), opts.consentPurposes ?? DEFAULT_CONSENT_PURPOSES, issues)
  const identifiers = readIdentifiers({ record, fields, kinds: opts.identifierKinds ?? DEFAULT_LINKED_KINDS, issues })

  collectTraits(record, '', RECORD_KEYS, traits)
  if (location) collectTraits(location, 'location.', LOCATION_KEYS, traits)
  if (demographics) collectTraits(demographics, 'demographics.', DEMOGRAPHIC_KEYS, traits)
  // A second spelling of a field already given ({"email", "Email"}) is kept, as a trait.
  for (const [key, duplicate] of Object.entries(named.duplicates)) if (!isAbsent(duplicate)) setOwn(traits, key, duplicate)

  if (issues.errors.length > 0) return rejectedWith({ errors: issues.errors, ...(cookie !== '' ? { cookie } : {}) })
  const observation: Observation = { cookie, email, observedAt, fields, interests, traits, ...(consent ? { consent } : {}), ...(identifiers.length > 0 ? { identifiers } : {}) }
  return ok({ observation, warnings: issues.warnings })
}

const MAX_IDENTIFIER_LENGTH = 200

/**
 * The record's linked identifiers: `user_id`, the phone (as read into E.164), and an `identifiers`
 * object of declared kinds ({"device_id": "…", "loyalty_id": "…"}; CSV columns identifiers.loyalty_id).
 * A blocked value or an undeclared kind stays in the raw record, is no identifier, and is warned about.
 */
function readIdentifiers(input: { record: Group; fields: ProfileFields; kinds: ReadonlyArray<Pick<IdentifierKindSettings, 'kind' | 'blocked'>>; issues: Issues }): Array<{ kind: string; value: string }> {
  const { record, fields, kinds, issues } = input
  const byKind = new Map(kinds.map((k) => [k.kind, k]))
  const out = new Map<string, { kind: string; value: string }>()
  const add = (kind: string, raw: unknown, field: string) => {
    const settings = byKind.get(kind)
    if (!settings) {
      const known = [...byKind.keys()].join(', ')
      issues.warnings.push({ field, reason: 'unknown_identifier', message: `${field}: "${kind}" is not a declared identifier kind (${known}): kept in the raw record, not an identifier; declare it in CDP_IDENTIFIERS` })
      return
    }
    if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) {
      issues.warnings.push({ field, reason: 'bad_field', message: `${field} must be text, got ${describeValue(raw)}: not an identifier` })
      return
    }
    const value = String(raw).trim()
    if (isBlockedValue(settings, value)) {
      issues.warnings.push({ field, reason: 'blocked_identifier', message: `${field} ${describeValue(raw)} is a placeholder that names nobody: kept in the raw record, not an identifier` })
      return
    }
    if (value.length > MAX_IDENTIFIER_LENGTH) {
      issues.warnings.push({ field, reason: 'bad_field', message: `${field} must be at most ${MAX_IDENTIFIER_LENGTH} characters, got ${value.length}: not an identifier` })
      return
    }
    out.set(kind, { kind, value })
  }
  const userId = findTop(record, 'user_id', issues)
  if (userId) add('user_id', userId.value, userId.field)
  if (typeof fields.phone === 'string' && byKind.has('phone')) add('phone', fields.phone, sentName(issues, 'phone'))
  const given = findTop(record, 'identifiers', issues)
  if (given) {
    if (!isPlainObject(given.value)) {
      issues.warnings.push({ field: given.field, reason: 'bad_field', message: `${given.field} must be an object of kind → value ({"device_id": "…"}), got ${describeValue(given.value)}: ignored` })
    } else {
      for (const [kind, value] of Object.entries(given.value)) {
        if (isAbsent(value)) continue
        if (KEY_KINDS.has(kind)) {
          issues.warnings.push({ field: `${given.field}.${kind}`, reason: 'bad_field', message: `${given.field}.${kind}: send the ${kind} as the record's own "${kind}" field: ignored here` })
          continue
        }
        add(kind, value, `${given.field}.${kind}`)
      }
    }
  }
  return [...out.values()]
}

function rejectedWith(detail: ValidationErrors): ValidationResult {
  return rejected(detail.errors[0]?.reason ?? 'bad_field', detail)
}

/** `location` or `demographics` as an object; anything else is kept as a trait, with a warning. */
function readGroup(record: Group, name: string, issues: Issues, traits: Record<string, unknown>): Group | undefined {
  const group = record[name]
  if (isAbsent(group)) return undefined
  if (isPlainObject(group)) return group
  setOwn(traits, name, group)
  const field = sentName(issues, name)
  issues.warnings.push({
    field,
    reason: 'bad_field',
    message: `${field} must be an object of named fields (e.g. {"${name === 'location' ? 'city' : 'age'}": ...}), got ${describeValue(group)}: kept as a trait, not read`,
  })
  return undefined
}

/** The nested value when present, else the flat one; undefined when neither is. */
function find(input: { record: Group; group: Group | undefined; groupName: string; key: string; issues: Issues }): Found | undefined {
  const { record, group, groupName, key, issues } = input
  if (group && !isAbsent(group[key])) return { value: group[key], field: sentName(issues, `${groupName}.${key}`) }
  return findTop(record, key, issues)
}

function findTop(record: Group, key: string, issues: Issues): Found | undefined {
  if (isAbsent(record[key])) return undefined
  return { value: record[key], field: sentName(issues, key) }
}

/** A text field's value, whitespace-collapsed; numbers become text; other types are ignored with a warning. */
function readText(found: Found | undefined, issues: Issues): string | undefined {
  if (!found) return undefined
  if (typeof found.value === 'string') return collapseWhitespace(found.value)
  if (typeof found.value === 'number' && Number.isFinite(found.value)) return String(found.value)
  issues.warnings.push({ field: found.field, reason: 'bad_field', message: `${found.field} must be text, got ${describeValue(found.value)}: ignored` })
  return undefined
}

/** The cookie is never dropped, whatever the quality policy: a record without one identifies nobody. */
function readCookie(raw: unknown, issues: Issues, lookalike: string | undefined): string {
  const field = sentName(issues, 'cookie')
  if (raw === undefined || raw === null || (typeof raw === 'string' && isJunkIdentifier(raw))) {
    const missing = raw === undefined || raw === null || raw.trim() === ''
    const hint = missing && lookalike !== undefined ? `; did you mean "${lookalike}"? name that field "cookie"` : ''
    issues.errors.push({
      field,
      reason: 'missing_cookie',
      message: missing
        ? `cookie is required: every profile record needs the visitor's cookie${hint}`
        : `cookie is required: every profile record needs the visitor's cookie, and ${field} ${describeValue(raw)} is a placeholder, not a cookie`,
    })
    return ''
  }
  if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) {
    issues.errors.push({ field, reason: 'invalid_cookie', message: `${field} must be a string, got ${describeValue(raw)}` })
    return ''
  }
  const cookie = String(raw).trim()
  if (isJunkIdentifier(cookie)) {
    // A numeric 0, which reads as the placeholder "0".
    issues.errors.push({ field, reason: 'missing_cookie', message: `cookie is required: every profile record needs the visitor's cookie, and ${field} ${cookie} is a placeholder, not a cookie` })
    return ''
  }
  if (cookie.length > MAX_COOKIE_LENGTH) {
    issues.errors.push({ field, reason: 'invalid_cookie', message: `${field} must be at most ${MAX_COOKIE_LENGTH} characters, got ${cookie.length}` })
    return ''
  }
  return cookie
}

/**
 * A malformed email rejects the record (unless the policy drops it): it is the identifier that
 * merges profiles, so it is never guessed at. Placeholders ("null", blocklisted addresses) only mean "no email".
 */
function readEmail(raw: unknown, blocklist: ReadonlySet<string>, issues: Issues): string | null {
  if (raw === undefined || raw === null) return null
  const field = sentName(issues, 'email')
  if (typeof raw !== 'string') {
    if (typeof raw === 'number' && isJunkIdentifier(String(raw))) return null
    invalidField(issues, { field, reason: 'invalid_email', message: `${field} must be a string like "name@example.com", got ${describeValue(raw)}` })
    return null
  }
  if (isJunkIdentifier(raw)) return null
  const email = normalizeEmail(raw)
  const problem = describeEmailProblem(email)
  if (problem !== null) {
    invalidField(issues, {
      field,
      reason: 'invalid_email',
      message: `${field} ${describeValue(raw.trim())} ${problem}: send a valid address like "name@example.com" or leave the field out`,
    })
    return null
  }
  if (blocklist.has(email)) {
    issues.warnings.push({
      field,
      reason: 'blocked_email',
      message: `${field} "${email}" is a known placeholder address: ignored so it never merges unrelated visitors`,
    })
    return null
  }
  return email
}

/** Sets city, state, country and country_code; returns the alpha-2 country code when known. */
function readLocation(input: { record: Group; location: Group | undefined; fields: ProfileFields; issues: Issues }): string | null {
  const { record, location, fields, issues } = input
  const countryFound = find({ record, group: location, groupName: 'location', key: 'country', issues })
  const codeFound = find({ record, group: location, groupName: 'location', key: 'country_code', issues })
  const countryText = readText(countryFound, issues)
  const codeText = readText(codeFound, issues)

  let code: string | null = null
  if (codeText !== undefined && codeFound) {
    code = toCountryCode(codeText)
    if (code === null) {
      issues.warnings.push({
        field: codeFound.field,
        reason: 'bad_field',
        message: `${codeFound.field} must be an ISO 3166-1 country code like "US" or "GBR", got ${describeValue(codeText)}: ignored`,
      })
    }
  }
  if (countryText !== undefined && countryFound) {
    const fromName = toCountryCode(countryText)
    if (code !== null && fromName !== null && fromName !== code) {
      issues.warnings.push({
        field: countryFound.field,
        reason: 'bad_field',
        message: `${countryFound.field} ${describeValue(countryText)} disagrees with country_code "${code}": kept the code`,
      })
    }
    code ??= fromName
  }
  if (code !== null) {
    fields.country = countryDisplayName(code)
    fields.country_code = code
  } else if (countryText !== undefined) {
    // Unknown names are kept: a typo or a region name still says something about the visitor.
    fields.country = countryText
    fields.country_code = null
  }

  const city = readText(find({ record, group: location, groupName: 'location', key: 'city', issues }), issues)
  if (city !== undefined) fields.city = city
  const state = readText(find({ record, group: location, groupName: 'location', key: 'state', issues }), issues)
  if (state !== undefined) {
    // Two letters are a US postal code only where the record says US, or says no country at all.
    const mayBeUsState = code === 'US' || (countryText === undefined && codeText === undefined)
    fields.state = (mayBeUsState ? usStateName(state) : undefined) ?? state
  }
  return code
}

/** An unreadable phone keeps the record: phone_raw holds what was sent and the warning says why. */
function readPhone(input: {
  found: Found | undefined
  countryCode: string | null
  opts: ValidateOptions
  fields: ProfileFields
  issues: Issues
}): void {
  const { found, countryCode, opts, fields, issues } = input
  if (!found) return
  const { value, field } = found
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
    issues.warnings.push({ field, reason: 'invalid_phone', message: `${field} must be text like "+1 212 555 0123", got ${describeValue(value)}: ignored` })
    return
  }
  const raw = String(value).trim()
  const e164 = toE164(raw, [countryCode, opts.defaultPhoneCountry])
  fields.phone = e164
  fields.phone_raw = raw
  if (e164 === null) {
    issues.warnings.push({
      field,
      reason: 'invalid_phone',
      message: `${field} ${describeValue(raw)} is not a phone number we can read: kept as phone_raw only; send it with its country code, like "+44 20 7946 0958"`,
    })
  }
}

function readDemographics(input: { record: Group; demographics: Group | undefined; fields: ProfileFields; issues: Issues }): void {
  const { record, demographics, fields, issues } = input
  const inDemographics = (key: string) => find({ record, group: demographics, groupName: 'demographics', key, issues })
  const ageFound = inDemographics('age')
  if (ageFound) {
    const age = parseAge(ageFound.value)
    if (age === null) {
      invalidField(issues, {
        field: ageFound.field,
        reason: 'bad_age',
        message: `${ageFound.field} must be a whole number from 0 to 120, got ${describeValue(ageFound.value)}`,
      })
    } else {
      fields.age = age
    }
  }
  const gender = readText(inDemographics('gender'), issues)
  if (gender !== undefined) fields.gender = normalizeGender(gender)
  const incomeFound = inDemographics('income')
  const income = readText(incomeFound, issues)
  if (income !== undefined && incomeFound) {
    // Kept as sent either way: a bracket such as "prefer not to say" still means something.
    fields.income = income
    if (parseIncome(income) === null) {
      issues.warnings.push({
        field: incomeFound.field,
        reason: 'unreadable_income',
        message: `${incomeFound.field} ${describeValue(income)} is not an amount we can read: kept as text without an amount; send one like "€50,000", "50000 EUR", "£40k" or "$75,000-$100,000"`,
      })
    }
  }
  const education = readText(inDemographics('education'), issues)
  if (education !== undefined) fields.education = education
}

const MAX_AGE = 120
// CSV gives "35" or "35.0"; a fractional part other than zeros is not a whole number of years.
const AGE_TEXT = /^\d{1,3}(?:\.0*)?$/

function parseAge(value: unknown): number | null {
  let age: number
  if (typeof value === 'number') age = value
  else if (typeof value === 'string' && AGE_TEXT.test(value.trim())) age = Number(value.trim())
  else return null
  return Number.isInteger(age) && age >= 0 && age <= MAX_AGE ? age : null
}

function readObservedAt(found: Found | undefined, receivedAt: number, issues: Issues): number {
  if (!found) return receivedAt
  const observedAt = parseTimestamp(found.value)
  if (observedAt === null) {
    // Dropped, the record counts as observed when it arrived, as one without a timestamp does.
    invalidField(issues, {
      field: found.field,
      reason: 'bad_timestamp',
      message: `${found.field} must be an ISO 8601 date-time like "2024-01-15T10:30:00Z" or epoch seconds or milliseconds, got ${describeValue(found.value)}`,
    })
    return receivedAt
  }
  if (observedAt > receivedAt + MAX_FUTURE_MS) {
    // A future time would win every later merge by recency, so it is not trusted.
    issues.warnings.push({
      field: found.field,
      reason: 'bad_timestamp',
      message: `${found.field} ${describeValue(found.value)} is more than a day after the record arrived: used the arrival time instead; check the sender's clock and time zone`,
    })
    return receivedAt
  }
  return observedAt
}

/**
 * `consent`: {purpose: granted}. A purpose that is not configured, or a value that says neither yes
 * nor no, is dropped with a warning and the rest of the record kept: consent must never cost the
 * profile data. Only a `consent` that is not an object at all is a bad field (the quality policy).
 * Undefined when the record states no purpose.
 */
function readConsent(found: Found | undefined, purposes: readonly string[], issues: Issues): Record<string, boolean> | undefined {
  if (!found) return undefined
  if (!isPlainObject(found.value)) {
    invalidField(issues, {
      field: found.field,
      reason: 'bad_field',
      message: `${found.field} must be an object of purposes, like {"marketing_email": true, "analytics": false}, got ${describeValue(found.value)}`,
    })
    return undefined
  }
  const consent: Record<string, boolean> = {}
  for (const [name, value] of Object.entries(found.value)) {
    if (isAbsent(value)) continue
    const field = `${found.field}.${name}`
    const purpose = consentPurposeKey(name)
    if (!purposes.includes(purpose)) {
      issues.warnings.push({ field, reason: 'bad_field', message: `${field} is not a consent purpose (configured: ${purposes.join(', ')}): ignored` })
      continue
    }
    const granted = readConsentValue(value)
    if (granted === null) {
      issues.warnings.push({ field, reason: 'bad_field', message: `${field} must be true or false (or yes/no, granted/denied, 1/0), got ${describeValue(value)}: ignored` })
      continue
    }
    setOwn(consent, purpose, granted)
  }
  return Object.keys(consent).length > 0 ? consent : undefined
}

/** Unknown keys become traits, kept as given; blank ones are left out like any absent field. */
function collectTraits(group: Group, prefix: string, known: ReadonlySet<string>, traits: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(group)) {
    if (known.has(key) || isAbsent(value)) continue
    setOwn(traits, `${prefix}${key}`, value)
  }
}
