// Normalizers for single values: emails, phones, countries, states, gender, interests, timestamps.
import countries from 'i18n-iso-countries'
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js'

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase()
}

const JUNK = new Set(['', 'null', 'undefined', '0', 'none', 'n/a', 'na', 'nan', '-', 'nil', 'unknown'])

/** Placeholders that look like identifiers but name nobody; they must never merge anything. */
export function isJunkIdentifier(value: string): boolean {
  return JUNK.has(value.trim().toLowerCase())
}

export const DEFAULT_EMAIL_BLOCKLIST: readonly string[] = [
  'test@test.com',
  'test@example.com',
  'user@example.com',
  'example@example.com',
  'email@example.com',
  'email@email.com',
  'a@a.com',
  'abc@abc.com',
  'asdf@asdf.com',
  'test@gmail.com',
  'noreply@example.com',
  'no-reply@example.com',
  'nobody@nowhere.com',
  'none@none.com',
  'null@null.com',
  'foo@bar.com',
]

// Pragmatic, not RFC 5322: one @, no spaces, a dotted domain with a 2+ letter TLD.
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i

export function emailProblem(email: string): string | null {
  if (email.length > 254) return 'is longer than 254 characters'
  if (!email.includes('@')) return 'has no "@"'
  if (email.indexOf('@') !== email.lastIndexOf('@')) return 'has more than one "@"'
  if (/\s/.test(email)) return 'contains spaces'
  const [local, domain] = email.split('@') as [string, string]
  if (local === '') return 'has nothing before the "@"'
  if (domain === '') return 'has no domain after the "@"'
  if (!domain.includes('.')) return `has no dot in its domain "${domain}"`
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'has a misplaced dot before the "@"'
  if (!EMAIL.test(email)) return 'is not a valid address'
  return null
}

export function normalizePhone(raw: string, defaultCountry: CountryCode | undefined): string | null {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry)
  // isPossible, not isValid: fictional ranges such as 555 numbers are still someone's form input.
  return parsed?.isPossible() ? parsed.number : null
}

// Common names i18n-iso-countries does not know in English.
const COUNTRY_ALIASES: Record<string, string> = {
  usa: 'US', 'u.s.a.': 'US', 'u.s.a': 'US', 'u.s.': 'US', us: 'US', america: 'US', 'united states': 'US', 'the united states': 'US',
  uk: 'GB', 'u.k.': 'GB', 'great britain': 'GB', britain: 'GB', england: 'GB', scotland: 'GB', wales: 'GB', 'northern ireland': 'GB',
  uae: 'AE', 'south korea': 'KR', korea: 'KR', 'north korea': 'KP', russia: 'RU', 'czech republic': 'CZ', holland: 'NL',
  vietnam: 'VN', iran: 'IR', syria: 'SY', bolivia: 'BO', venezuela: 'VE', tanzania: 'TZ', laos: 'LA', moldova: 'MD',
  taiwan: 'TW', 'ivory coast': 'CI', 'cape verde': 'CV', macedonia: 'MK', turkey: 'TR', brasil: 'BR', deutschland: 'DE',
  españa: 'ES', espana: 'ES', méxico: 'MX', italia: 'IT', nippon: 'JP', schweiz: 'CH', österreich: 'AT',
}
const DISPLAY: Record<string, string> = {
  US: 'United States',
  GB: 'United Kingdom',
  KR: 'South Korea',
  KP: 'North Korea',
  RU: 'Russia',
  IR: 'Iran',
  VN: 'Vietnam',
  TW: 'Taiwan',
  BO: 'Bolivia',
  VE: 'Venezuela',
  TZ: 'Tanzania',
  SY: 'Syria',
  LA: 'Laos',
  MD: 'Moldova',
}
const OTHER_LANGUAGES = ['es', 'fr', 'de', 'pt', 'it']

const countryCache = new Map<string, string | null>()

/** ISO 3166-1 alpha-2 code for a country name or code, or null when unknown. */
export function countryCode(value: string): string | null {
  // The library scans every name on each lookup; real data repeats a few hundred spellings.
  const cached = countryCache.get(value)
  if (cached !== undefined) return cached
  const code = lookupCountryCode(value)
  if (countryCache.size >= 10_000) countryCache.clear()
  countryCache.set(value, code)
  return code
}

function lookupCountryCode(value: string): string | null {
  const text = value.trim()
  const key = text.toLowerCase()
  const alias = COUNTRY_ALIASES[key]
  if (alias) return alias
  if (/^[a-z]{2}$/i.test(text) && countries.isValid(text.toUpperCase())) return text.toUpperCase()
  if (/^[a-z]{3}$/i.test(text)) {
    const code = countries.alpha3ToAlpha2(text.toUpperCase())
    if (code) return code
  }
  const english = countries.getAlpha2Code(text, 'en')
  if (english) return english
  for (const language of OTHER_LANGUAGES) {
    const code = countries.getAlpha2Code(text, language)
    if (code) return code
  }
  return null
}

export function countryName(code: string): string {
  return DISPLAY[code] ?? countries.getName(code, 'en') ?? code
}

const US_STATES: Record<string, string> = {
  AL: 'Alabama', AK: 'Alaska', AZ: 'Arizona', AR: 'Arkansas', CA: 'California', CO: 'Colorado', CT: 'Connecticut', DE: 'Delaware',
  FL: 'Florida', GA: 'Georgia', HI: 'Hawaii', ID: 'Idaho', IL: 'Illinois', IN: 'Indiana', IA: 'Iowa', KS: 'Kansas', KY: 'Kentucky',
  LA: 'Louisiana', ME: 'Maine', MD: 'Maryland', MA: 'Massachusetts', MI: 'Michigan', MN: 'Minnesota', MS: 'Mississippi',
  MO: 'Missouri', MT: 'Montana', NE: 'Nebraska', NV: 'Nevada', NH: 'New Hampshire', NJ: 'New Jersey', NM: 'New Mexico',
  NY: 'New York', NC: 'North Carolina', ND: 'North Dakota', OH: 'Ohio', OK: 'Oklahoma', OR: 'Oregon', PA: 'Pennsylvania',
  RI: 'Rhode Island', SC: 'South Carolina', SD: 'South Dakota', TN: 'Tennessee', TX: 'Texas', UT: 'Utah', VT: 'Vermont',
  VA: 'Virginia', WA: 'Washington', WV: 'West Virginia', WI: 'Wisconsin', WY: 'Wyoming', DC: 'District of Columbia',
  PR: 'Puerto Rico',
}

/** Expands US state codes ("NY" → "New York") when the country is the US or unknown. */
export function normalizeState(value: string, country: string | null): string {
  const text = collapse(value)
  if ((country === null || country === 'US') && /^[a-z]{2}$/i.test(text)) return US_STATES[text.toUpperCase()] ?? text
  return text
}

const GENDERS: Record<string, string> = {
  m: 'male', male: 'male', man: 'male', boy: 'male', masculine: 'male',
  f: 'female', female: 'female', woman: 'female', girl: 'female', feminine: 'female',
  nb: 'non-binary', 'non-binary': 'non-binary', nonbinary: 'non-binary', 'non binary': 'non-binary', enby: 'non-binary',
  other: 'other', o: 'other',
  unknown: 'unknown', u: 'unknown', 'prefer not to say': 'unknown', undisclosed: 'unknown',
}

/** A small vocabulary; anything else is kept as given. */
export function normalizeGender(value: string): string {
  const text = collapse(value)
  return GENDERS[text.toLowerCase()] ?? text
}

export function collapse(value: string): string {
  return value.trim().replace(/\s+/g, ' ')
}

export const MAX_INTERESTS = 100
export const MAX_INTEREST_LENGTH = 100

export function normalizeInterest(value: string): string {
  return collapse(value.normalize('NFKC')).toLowerCase().slice(0, MAX_INTEREST_LENGTH).trim()
}

/** Epoch ms from an ISO-8601 string, epoch seconds or epoch milliseconds; null when unreadable. */
export function parseTimestamp(value: unknown): number | null {
  let n: number | null = null
  if (typeof value === 'number') n = value
  else if (typeof value === 'string') {
    const text = value.trim()
    if (/^\d+(\.\d+)?$/.test(text)) n = Number(text)
    else if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
      const ms = Date.parse(text)
      return Number.isNaN(ms) ? null : ms
    } else return null
  }
  if (n === null || !Number.isFinite(n) || n < 0) return null
  // Below 1e11 it can only be seconds (1e11 ms is 1973; 1e11 s is the year 5138).
  return Math.round(n < 1e11 ? n * 1000 : n)
}
