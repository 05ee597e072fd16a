// The parsed segment condition (AST). parse.ts builds it already normalized (text lower-cased,
// dates in epoch ms, money in numbers), so evaluate.ts and sql.ts never re-interpret raw JSON.
import { PROFILE_FIELDS, type ProfileFieldName, type ProfileFieldTable, type SegmentKind, segmentFields } from './profile-fields.ts'

/** Profile columns conditions compare that are not fields of the table: identity and timeline. */
const EMAIL_FIELD = 'email'
export const TIME_FIELDS = ['first_seen', 'last_seen'] as const

/** The fields of `table` segments compare as text, with the email (a profile column, not a table field). */
export function textFields(table: ProfileFieldTable = PROFILE_FIELDS): string[] {
  return [EMAIL_FIELD, ...segmentFields('text', table)]
}

/** Every field name a condition may use besides trait.<name>, in the order messages list them. */
export function conditionFields(table: ProfileFieldTable = PROFILE_FIELDS): string[] {
  return [...textFields(table), ...segmentFields('number', table), ...segmentFields('money', table), ...TIME_FIELDS]
}

export const TEXT_FIELDS: readonly string[] = textFields()
export const CONDITION_FIELDS: readonly string[] = conditionFields()

type FieldsOfKind<K extends SegmentKind> = { [N in ProfileFieldName]: (typeof PROFILE_FIELDS)[N]['segment'] extends K ? N : never }[ProfileFieldName]
export type TextField = typeof EMAIL_FIELD | FieldsOfKind<'text'>
export type TimeField = (typeof TIME_FIELDS)[number]
export type ProfileField = TextField | FieldsOfKind<'number'> | FieldsOfKind<'money'> | TimeField

/** Where a leaf reads its value, which also decides the operators it accepts. */
export type FieldRef =
  /** Columns are named as their fields, so `column` is also the field's key in a SegmentProfile. */
  | { kind: 'text'; column: string }
  /** A field the table compares as a number: age, or another (`column`) when a table adds one. */
  | { kind: 'age'; column?: string }
  /** Free text in storage; numeric operators compare parseMoney(income). `column` as for age. */
  | { kind: 'income'; column?: string }
  | { kind: 'time'; column: TimeField }
  /** One key of the flat traits object: "trait.location.floor" reads traits["location.floor"]. */
  | { kind: 'trait'; key: string }

export const OPERATORS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'contains',
  'starts_with',
  'exists',
  'within_last',
  'before_last',
] as const
export type Operator = (typeof OPERATORS)[number]

export type TextOperator = 'eq' | 'neq' | 'in' | 'not_in' | 'contains' | 'starts_with'
export type NumberOperator = 'eq' | 'neq' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'between'
export type DurationUnit = 'days' | 'hours' | 'minutes'

/**
 * What a field leaf checks. The comparison type is fixed at parse time: a value of another type
 * (a trait holding a number when the test is textual, an income that is not money) counts as missing.
 */
export type FieldTest =
  /** values are case-folded; eq/neq/contains/starts_with have exactly one. */
  | { type: 'text'; op: TextOperator; values: readonly string[] }
  /** values: one for eq/neq/gt/gte/lt/lte, [low, high] for between, the list for in/not_in. */
  | { type: 'number'; op: NumberOperator; values: readonly number[] }
  | { type: 'boolean'; op: 'eq' | 'neq'; value: boolean }
  | { type: 'exists'; value: boolean }
  | { type: 'relative_time'; op: 'within_last' | 'before_last'; amount: number; unit: DurationUnit; durationMs: number }

export interface FieldCondition {
  kind: 'field'
  /** As written, for messages: "age", "trait.plan". */
  field: string
  ref: FieldRef
  test: FieldTest
}

export type InterestOperator = 'eq' | 'contains' | 'starts_with'

export interface Duration {
  amount: number
  unit: DurationUnit
  durationMs: number
}

/**
 * One property test of an event condition. Properties compare exactly like traits: the test's type is
 * fixed at parse time and a value of another JSON type counts as missing (the string "5" is not the
 * number 5). `path` is the property name split on dots: "product.category" reads properties.product.category.
 */
export interface PropertyFilter {
  /** As written, for messages. */
  property: string
  path: readonly string[]
  test: Exclude<FieldTest, { type: 'relative_time' }>
}

export type CountOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'between'

/** How many matching occurrences there were: values has one number, or [low, high] for between. */
export interface CountTest {
  type: 'number'
  op: CountOperator
  values: readonly number[]
}

/** A test on the time of the first or last matching occurrence. */
export type OccurrenceTest = Extract<FieldTest, { type: 'number' | 'relative_time' }>

/**
 * Occurrences of one event (by exact, case-sensitive name) whose properties pass every `where` filter.
 * With `window`, only occurrences at or after now - window count; without, all of them. The leaf holds
 * when `count` holds of their number, when `first` / `last` hold of the earliest / latest occurrence
 * (missing when there is none), or, with none of those, when there is at least one. The parser
 * refuses `count` together with `first`/`last`, and `window` together with `first`/`last`.
 */
export interface EventCondition {
  kind: 'event'
  name: string
  where: readonly PropertyFilter[]
  window: Duration | null
  count: CountTest | null
  first: OccurrenceTest | null
  last: OccurrenceTest | null
}

export type Condition =
  | { kind: 'all'; children: readonly Condition[] }
  | { kind: 'any'; children: readonly Condition[] }
  | { kind: 'not'; child: Condition }
  | FieldCondition
  /** value is case-folded. */
  | { kind: 'interest'; op: InterestOperator; value: string }
  /** nameKey matches cohorts.name_key (the name lower-cased). */
  | { kind: 'cohort'; name: string; nameKey: string; minScore: number | null }
  | { kind: 'segment'; segmentId: string }
  | EventCondition
  | ConsentCondition

/**
 * Consent to one purpose (a key of config consentPurposes). granted true holds when the profile's
 * latest statement for it grants it; granted false holds otherwise: withdrawn, or never stated.
 */
export interface ConsentCondition {
  kind: 'consent'
  purpose: string
  granted: boolean
}

export const DURATION_MS: Readonly<Record<DurationUnit, number>> = { days: 86_400_000, hours: 3_600_000, minutes: 60_000 }

function collect(condition: Condition, visit: (leaf: Condition) => void): void {
  visit(condition)
  if (condition.kind === 'all' || condition.kind === 'any') for (const child of condition.children) collect(child, visit)
  else if (condition.kind === 'not') collect(condition.child, visit)
}

/** Segment ids this condition depends on, so a caller can order evaluation and refuse cycles. */
export function referencedSegments(condition: Condition): string[] {
  const ids = new Set<string>()
  collect(condition, (node) => {
    if (node.kind === 'segment') ids.add(node.segmentId)
  })
  return [...ids]
}

/** Consent purposes this condition reads. */
export function referencedConsent(condition: Condition): string[] {
  const purposes = new Set<string>()
  collect(condition, (node) => {
    if (node.kind === 'consent') purposes.add(node.purpose)
  })
  return [...purposes]
}

/** Cohort name keys (lower-cased names) this condition depends on. */
export function referencedCohorts(condition: Condition): string[] {
  const keys = new Set<string>()
  collect(condition, (node) => {
    if (node.kind === 'cohort') keys.add(node.nameKey)
  })
  return [...keys]
}

/** True when the result can change with the clock alone, so the segment needs periodic re-evaluation. */
export function usesRelativeTime(condition: Condition): boolean {
  let found = false
  collect(condition, (node) => {
    if (node.kind === 'field' && node.test.type === 'relative_time') found = true
    if (node.kind === 'event' && (node.window !== null || node.first?.type === 'relative_time' || node.last?.type === 'relative_time')) found = true
  })
  return found
}

/**
 * Which occurrences of one event name evaluation needs. Loading only these keeps every verdict exact
 * (at any time from the load onwards, so nextTimeChange is exact too): a windowed count reads only its
 * window, and first/last without property filters only the earliest and latest occurrence.
 */
export interface EventNeed {
  /** Every occurrence: a count without a window, or first/last among occurrences filtered by properties. */
  allTime: boolean
  /** The longest window counted in, in ms; 0 when no condition counts in a window. */
  windowMs: number
  /** The earliest and latest occurrence (first/last without property filters). */
  edges: boolean
}

/** Event name -> the occurrences these conditions read. Empty when they have no event conditions. */
export function eventNeeds(conditions: readonly Condition[]): Map<string, EventNeed> {
  const needs = new Map<string, EventNeed>()
  for (const condition of conditions) {
    collect(condition, (node) => {
      if (node.kind !== 'event') return
      const need = needs.get(node.name) ?? { allTime: false, windowMs: 0, edges: false }
      if (node.first !== null || node.last !== null) {
        if (node.where.length > 0) need.allTime = true
        else need.edges = true
      } else if (node.window === null) need.allTime = true
      else need.windowMs = Math.max(need.windowMs, node.window.durationMs)
      needs.set(node.name, need)
    })
  }
  return needs
}

/** Event names these conditions read. */
export function referencedEvents(condition: Condition): string[] {
  return [...eventNeeds([condition]).keys()]
}
