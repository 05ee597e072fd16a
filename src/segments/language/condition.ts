// The parsed segment condition (AST). parse.ts builds it already normalized (text lower-cased,
// dates in epoch ms, money in numbers), so evaluate.ts and sql.ts never re-interpret raw JSON.

export const TEXT_FIELDS = ['email', 'phone', 'city', 'state', 'country', 'country_code', 'gender', 'education'] as const
export const TIME_FIELDS = ['first_seen', 'last_seen'] as const
export const PROFILE_FIELDS = [...TEXT_FIELDS, 'age', 'income', ...TIME_FIELDS] as const

export type TextField = (typeof TEXT_FIELDS)[number]
export type TimeField = (typeof TIME_FIELDS)[number]
export type ProfileField = (typeof PROFILE_FIELDS)[number]

/** Where a leaf reads its value, which also decides the operators it accepts. */
export type FieldRef =
  | { kind: 'text'; column: TextField }
  | { kind: 'age' }
  /** Free text in storage; numeric operators compare parseMoney(income). */
  | { kind: 'income' }
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
  })
  return found
}
