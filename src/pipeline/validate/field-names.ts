// Field names as senders write them ("E-mail Address", "Phone Number", "Location.City") → the
// record's own names. This table is the one place that says which spellings mean a known field;
// docs/api.md lists it. A name that matches nothing stays a custom trait, as sent; one that is a
// small edit away from a known name also gets a "did you mean" warning.
import type { FieldIssue } from '../../domain/types.ts'
import { isAbsent, isPlainObject, setOwn } from '../../domain/text.ts'

/**
 * Known fields and the other names that mean them, compared after `foldFieldName` (so case, spaces,
 * "-", "_", "." and camelCase never matter: "emailAddress" = "E-mail address" = "email_address").
 * Identifiers are kept narrow on purpose: a wrong alias for cookie or email would merge people.
 * "mobile" and "cell" are phones: a profile has one phone field, and forms call it either.
 */
const TOP_LEVEL_ALIASES: Readonly<Record<string, readonly string[]>> = {
  cookie: ['cookie', 'cookie_id', 'anonymous_id'],
  email: ['email', 'e-mail', 'email_address', 'e-mail address'],
  phone: ['phone', 'phone_number', 'telephone', 'telephone_number', 'tel', 'mobile', 'mobile_phone', 'mobile_number', 'cell', 'cell_phone'],
  location: ['location'],
  demographics: ['demographics', 'demographic'],
  interests: ['interests', 'interest'],
  timestamp: ['timestamp', 'observed_at', 'ts'],
  consent: ['consent'],
}

/** Fields of `location` and `demographics`, which may also be sent flat ("city", "Location City"). */
export const LOCATION_ALIASES: Readonly<Record<string, readonly string[]>> = {
  city: ['city', 'town'],
  state: ['state', 'province', 'state_province'],
  country: ['country', 'country_name'],
  country_code: ['country_code', 'country_iso', 'iso_country'],
}

export const DEMOGRAPHIC_ALIASES: Readonly<Record<string, readonly string[]>> = {
  age: ['age'],
  gender: ['gender', 'sex'],
  income: ['income', 'annual_income', 'household_income'],
  education: ['education', 'education_level'],
}

/**
 * Real words one edit away from a known name, which are fields of their own, not typos: a
 * "county" column is not a misspelt "country".
 */
const NOT_TYPOS: ReadonlySet<string> = new Set(['county', 'sender', 'render', 'lender', 'stats', 'skate', 'slate', 'gmail', 'content'])

/** Lower case, NFKC, and only letters and digits: the form in which field names are compared. */
export function foldFieldName(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')
}

interface Scope {
  /** Folded spelling → the record's name for it. */
  names: Map<string, string>
  /** Folded spellings, for suggestions. */
  spellings: Array<{ folded: string; canonical: string }>
  /**
   * Key as sent → what it names. Records repeat their keys (a million-row CSV has a handful of
   * names), so each is folded and compared once; bounded like parseMoney's cache.
   */
  resolved: Map<string, Resolution>
}

interface Resolution {
  /** The record's name for the key; null when it names no known field. */
  canonical: string | null
  /** For an unknown key, the known name it probably misspells. */
  suggestion: string | null
}

function buildScope(...tables: Array<{ table: Readonly<Record<string, readonly string[]>>; prefix?: string }>): Scope {
  const names = new Map<string, string>()
  for (const { table, prefix } of tables) {
    for (const [canonical, aliases] of Object.entries(table)) {
      for (const alias of aliases) {
        names.set(foldFieldName(alias), canonical)
        // "location_city", "Demographics Age": a group's field written flat with its group's name.
        if (prefix) names.set(foldFieldName(`${prefix}${alias}`), canonical)
      }
    }
  }
  return { names, spellings: [...names].map(([folded, canonical]) => ({ folded, canonical })), resolved: new Map() }
}

const TOP_LEVEL = buildScope(
  { table: TOP_LEVEL_ALIASES },
  { table: LOCATION_ALIASES, prefix: 'location ' },
  { table: DEMOGRAPHIC_ALIASES, prefix: 'demographics ' },
)
const IN_GROUP: Readonly<Record<string, Scope>> = {
  location: buildScope({ table: LOCATION_ALIASES }),
  demographics: buildScope({ table: DEMOGRAPHIC_ALIASES }),
}

type Group = Record<string, unknown>

export interface NamedRecord {
  /** The record with known fields under their own names; other keys as sent. */
  record: Group
  /** The record's name of a field ("demographics.age") → the dotted name it was sent as, for messages. */
  sentAs: ReadonlyMap<string, string>
  /** Keys that a known field's name already took (a second spelling of it): kept as traits. */
  duplicates: Group
  /** A known field's name → the unknown key that looks like a misspelling of it ("cookie" → "cokie"). */
  lookalikes: ReadonlyMap<string, string>
}

/**
 * Renames known fields to the record's names, at the top level and inside `location` and
 * `demographics`. When two keys name one field the one spelt exactly wins, else the first; the
 * other is kept as a trait, with a warning. Unknown keys that look like a known name get a warning.
 */
export function nameFields(record: Group, warnings: FieldIssue[]): NamedRecord {
  const sentAs = new Map<string, string>()
  const lookalikes = new Map<string, string>()
  const duplicates: Group = {}
  const top = renameKeys(record, { scope: TOP_LEVEL, prefix: '', sentPrefix: '', sentAs, lookalikes, duplicates, warnings })
  for (const group of ['location', 'demographics'] as const) {
    const value = top[group]
    if (!isPlainObject(value)) continue
    const sentGroup = sentAs.get(group) ?? group
    top[group] = renameKeys(value, { scope: IN_GROUP[group] as Scope, prefix: `${group}.`, sentPrefix: `${sentGroup}.`, sentAs, lookalikes, duplicates, warnings })
  }
  return { record: top, sentAs, duplicates, lookalikes }
}

function renameKeys(
  group: Group,
  at: {
    scope: Scope
    prefix: string
    sentPrefix: string
    sentAs: Map<string, string>
    lookalikes: Map<string, string>
    duplicates: Group
    warnings: FieldIssue[]
  },
): Group {
  const out: Group = {}
  const keys = Object.keys(group)
  const resolutions = keys.map((key) => resolve(at.scope, key))
  const isRenamed = (i: number) => resolutions[i]?.canonical !== null && resolutions[i]?.canonical !== keys[i]
  let order = keys.map((_, i) => i)
  // Exact names first, so that {"Email": …, "email": …} keeps "email" whatever the key order.
  if (order.some(isRenamed)) order = [...order.filter((i) => !isRenamed(i)), ...order.filter(isRenamed)]
  for (const i of order) {
    const key = keys[i] as string
    const value = group[key]
    const { canonical, suggestion } = resolutions[i] as Resolution
    if (canonical === null) {
      if (suggestion !== null && !isAbsent(value)) {
        if (!at.lookalikes.has(`${at.prefix}${suggestion}`)) at.lookalikes.set(`${at.prefix}${suggestion}`, `${at.sentPrefix}${key}`)
        at.warnings.push({
          field: `${at.sentPrefix}${key}`,
          reason: 'unknown_field',
          message: `${at.sentPrefix}${key} is not a known field: kept as the custom trait "${at.prefix}${key}"; did you mean "${at.prefix}${suggestion}"?`,
        })
      }
      setOwn(out, key, value)
      continue
    }
    if (Object.hasOwn(out, canonical)) {
      const taken = at.sentAs.get(`${at.prefix}${canonical}`) ?? `${at.prefix}${canonical}`
      at.warnings.push({
        field: `${at.sentPrefix}${key}`,
        reason: 'duplicate_field',
        message: `${at.sentPrefix}${key} and ${taken} both name ${at.prefix}${canonical}: used ${taken}, kept ${at.sentPrefix}${key} as a custom trait; send one of them`,
      })
      setOwn(at.duplicates, `${at.prefix}${key}`, value)
      continue
    }
    setOwn(out, canonical, value)
    if (key !== canonical || at.sentPrefix !== at.prefix) at.sentAs.set(`${at.prefix}${canonical}`, `${at.sentPrefix}${key}`)
  }
  return out
}

const CACHE_SIZE = 10_000

function resolve(scope: Scope, key: string): Resolution {
  const known = scope.resolved.get(key)
  if (known !== undefined) return known
  const folded = foldFieldName(key)
  const canonical = scope.names.get(folded) ?? null
  const resolution = { canonical, suggestion: canonical === null ? suggestName(scope, folded) : null }
  if (scope.resolved.size >= CACHE_SIZE) scope.resolved.clear()
  scope.resolved.set(key, resolution)
  return resolution
}

// Longer names than this are sentences or data, not misspelt field names.
const MAX_SUGGESTED_LENGTH = 40

/**
 * The known name an unknown key is probably a typo of: one edit (a letter added, dropped, changed
 * or two swapped) for names of 4 to 7 letters, two from 8. Names under 4 letters get none: "page" or
 * "sage" are not a misspelt "age".
 */
function suggestName(scope: Scope, folded: string): string | null {
  if (folded.length < 4 || folded.length > MAX_SUGGESTED_LENGTH || NOT_TYPOS.has(folded)) return null
  let best: { canonical: string; distance: number } | null = null
  for (const { folded: spelling, canonical } of scope.spellings) {
    if (spelling.length < 4) continue
    const allowed = spelling.length >= 8 ? 2 : 1
    if (Math.abs(spelling.length - folded.length) > allowed) continue
    const distance = editDistance(folded, spelling, allowed)
    if (distance <= allowed && (best === null || distance < best.distance)) best = { canonical, distance }
  }
  return best?.canonical ?? null
}

/** Optimal string alignment distance (Levenshtein plus swapping two neighbours); above `limit` it stops early. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  let previous2: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (previous2[j - 2] as number) + 1)
      current[j] = d
      if (d < rowMin) rowMin = d
    }
    if (rowMin > limit) return rowMin
    previous2 = previous
    previous = current
  }
  return previous[b.length] as number
}
