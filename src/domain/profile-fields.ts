// Each profile attribute, declared once. Types, row mapping, update columns, the segment language
// (parser, evaluator, SQL compiler), GET /api/user's schema and the exports all derive from this
// table, so adding a field is one entry here plus a migration that adds its column.
import { parseMoney } from './text-compare.ts'

/** How segment conditions compare a field: case-folded text, a number, or an amount of money read from text. */
export type SegmentKind = 'text' | 'number' | 'money'

/** Where GET /api/user shows a field; `contact` fields are shown by their own top-level keys. */
export type ApiSection = 'contact' | 'location_detail' | 'demographics'

export interface ProfileFieldSpec {
  /** What the value is in memory and in its column: text, or a whole number. */
  type: 'text' | 'integer'
  /** The column in `profiles`. */
  column: string
  /**
   * Fields that only make sense together: one observation sets the whole group, and the latest such
   * observation wins as a whole ("Austin, Texas, US" then "Paris, France" is Paris, France — never
   * "Paris, Texas, France"). A member the observation leaves out becomes null.
   */
  group: 'location' | null
  /** How segment conditions compare it; null: conditions cannot name it. */
  segment: SegmentKind | null
  /** The section of GET /api/user that shows it, and the JSON schema of its value there. */
  api: ApiSection
  /**
   * A second column computed from the value for queries, with its function: income is free text
   * ("$75,000-$100,000") and numeric conditions compare its amount.
   */
  derived?: { column: string; type: 'real'; compute: (value: string) => number | null }
  description: string
}

/**
 * The phone is deliberately not a group: phone_raw is only the text behind it, and a later
 * unreadable phone (kept as phone_raw) must not erase a number that works.
 */
export const PROFILE_FIELDS = {
  phone: { type: 'text', column: 'phone', group: null, segment: 'text', api: 'contact', description: 'E.164 when it parsed, else null (the text is in phone_raw)' },
  phone_raw: { type: 'text', column: 'phone_raw', group: null, segment: null, api: 'contact', description: 'the phone number as received' },
  city: { type: 'text', column: 'city', group: 'location', segment: 'text', api: 'location_detail', description: 'city' },
  state: { type: 'text', column: 'state', group: 'location', segment: 'text', api: 'location_detail', description: 'state or region' },
  country: { type: 'text', column: 'country', group: 'location', segment: 'text', api: 'location_detail', description: 'country name' },
  country_code: { type: 'text', column: 'country_code', group: 'location', segment: 'text', api: 'location_detail', description: 'ISO 3166-1 alpha-2' },
  age: { type: 'integer', column: 'age', group: null, segment: 'number', api: 'demographics', description: 'age in years' },
  gender: { type: 'text', column: 'gender', group: null, segment: 'text', api: 'demographics', description: 'gender as normalized' },
  income: {
    type: 'text',
    column: 'income',
    group: null,
    segment: 'money',
    api: 'demographics',
    derived: { column: 'income_amount', type: 'real', compute: parseMoney },
    description: 'income as given (an amount or a bracket)',
  },
  education: { type: 'text', column: 'education', group: null, segment: 'text', api: 'demographics', description: 'education level' },
} as const satisfies Record<string, ProfileFieldSpec>

export type ProfileFieldTable = Readonly<Record<string, ProfileFieldSpec>>
export type ProfileFieldName = keyof typeof PROFILE_FIELDS

type ValueOf<S extends ProfileFieldSpec> = S['type'] extends 'integer' ? number : string

/** Profile attributes that merge per field by latest observation time. */
export type ProfileFields = { -readonly [K in ProfileFieldName]?: ValueOf<(typeof PROFILE_FIELDS)[K]> | null }

export const PROFILE_FIELD_NAMES = Object.keys(PROFILE_FIELDS) as ProfileFieldName[]

/** A field's spec by name; own keys only, so "constructor" is no field. */
export function fieldSpec(name: string, table: ProfileFieldTable = PROFILE_FIELDS): ProfileFieldSpec | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined
}

const tableEntries = new WeakMap<ProfileFieldTable, ReadonlyArray<readonly [string, ProfileFieldSpec]>>()

/** The table's [name, spec] pairs, listed once per table: row mapping and views walk them for every profile. */
function entriesOf(table: ProfileFieldTable): ReadonlyArray<readonly [string, ProfileFieldSpec]> {
  let entries = tableEntries.get(table)
  if (!entries) {
    entries = Object.entries(table)
    tableEntries.set(table, entries)
  }
  return entries
}

const conditionTables = new WeakMap<ProfileFieldTable, ProfileFieldTable>()

/**
 * The fields segment conditions can name (a segment kind set), in table order: what every segment
 * view holds, whether built in memory or read from the database. Computed once per table.
 */
export function conditionFieldTable(table: ProfileFieldTable = PROFILE_FIELDS): ProfileFieldTable {
  let found = conditionTables.get(table)
  if (!found) {
    found = Object.fromEntries(Object.entries(table).filter(([, spec]) => spec.segment !== null))
    conditionTables.set(table, found)
  }
  return found
}

/** Group name -> its members, in table order. */
export function fieldGroups(table: ProfileFieldTable = PROFILE_FIELDS): Record<string, string[]> {
  const groups: Record<string, string[]> = {}
  for (const [name, spec] of Object.entries(table)) if (spec.group) (groups[spec.group] ??= []).push(name)
  return groups
}

export const PROFILE_FIELD_GROUPS = fieldGroups() as Record<'location', ProfileFieldName[]>

/** Names of the fields segment conditions compare with `kind`. */
export function segmentFields(kind: SegmentKind, table: ProfileFieldTable = PROFILE_FIELDS): string[] {
  return Object.entries(table)
    .filter(([, spec]) => spec.segment === kind)
    .map(([name]) => name)
}

/** Every column a profile's fields occupy, derived columns included: what a profile write updates. */
export function fieldColumns(table: ProfileFieldTable = PROFILE_FIELDS): string[] {
  return Object.values(table).flatMap((spec) => (spec.derived ? [spec.column, spec.derived.column] : [spec.column]))
}

/** The field values as columns (absent is null), derived columns computed. */
export function fieldsToColumns(fields: Readonly<Record<string, unknown>>, table: ProfileFieldTable = PROFILE_FIELDS): Record<string, string | number | null> {
  const row: Record<string, string | number | null> = {}
  for (const [name, spec] of entriesOf(table)) {
    const value = (fields[name] ?? null) as string | number | null
    row[spec.column] = value
    if (spec.derived) row[spec.derived.column] = typeof value === 'string' && value !== '' ? spec.derived.compute(value) : null
  }
  return row
}

/**
 * The fields of a row: only those with a value are set, as ProfileState keeps them. Integers come
 * back as numbers whatever the driver returns (PostgreSQL's int8 arrives as text).
 */
export function fieldsFromColumns(row: Readonly<Record<string, unknown>>, table: ProfileFieldTable = PROFILE_FIELDS): Record<string, string | number> {
  const fields: Record<string, string | number> = {}
  for (const [name, spec] of entriesOf(table)) {
    const value = row[spec.column]
    if (value === null || value === undefined) continue
    fields[name] = spec.type === 'integer' ? Number(value) : String(value)
  }
  return fields
}

/** Every field with a value or null, by name: the shape segment views and API sections use. */
export function allFields(fields: Readonly<Record<string, unknown>>, table: ProfileFieldTable = PROFILE_FIELDS): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {}
  for (const [name] of entriesOf(table)) out[name] = (fields[name] ?? null) as string | number | null
  return out
}

/** The JSON schema of one API section's object: each of its fields, nullable. */
export function apiSectionSchema(section: ApiSection, table: ProfileFieldTable = PROFILE_FIELDS) {
  const properties: Record<string, { type: readonly ['string' | 'integer', 'null']; description: string }> = {}
  for (const [name, spec] of Object.entries(table)) {
    if (spec.api === section) properties[name] = { type: [spec.type === 'integer' ? 'integer' : 'string', 'null'], description: spec.description }
  }
  return { type: 'object', properties } as const
}

/** One API section's values: each of its fields, null when absent. */
export function apiSectionValues(fields: Readonly<Record<string, unknown>>, section: ApiSection, table: ProfileFieldTable = PROFILE_FIELDS): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {}
  for (const [name, spec] of Object.entries(table)) if (spec.api === section) out[name] = (fields[name] ?? null) as string | number | null
  return out
}
