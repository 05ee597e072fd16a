// Evaluates a parsed condition against one profile in memory, explains the verdict node by node,
// and tells a scheduler when the verdict could next change as the clock moves.
//
// Missing values (SQL-like, and sql.ts matches it exactly): a field that is null or absent, an income
// that is not money under a numeric test, or a trait of another JSON type than the test's value makes
// every comparison false, neq and not_in included. Only `exists: false` holds. `not` is a plain
// boolean negation, so { not: { city eq "paris" } } includes profiles without a city while
// { city neq "paris" } does not.
import { type Condition, type FieldCondition, type FieldRef, type FieldTest } from './condition.ts'
import { describeCondition } from './describe.ts'
import { ROOT_PATH } from './parse.ts'
import { foldCase, parseMoney } from './text.ts'

export interface SegmentProfile {
  id: string
  email: string | null
  phone: string | null
  city: string | null
  state: string | null
  country: string | null
  country_code: string | null
  age: number | null
  gender: string | null
  income: string | null
  education: string | null
  traits: Readonly<Record<string, unknown>>
  /** Epoch milliseconds. */
  first_seen: number
  last_seen: number
  interests: readonly string[]
  /** Lower-cased cohort name -> membership score. */
  cohorts: ReadonlyMap<string, number>
  /** Ids of the segments the profile belongs to; the caller evaluates referenced segments first. */
  segments: ReadonlySet<string>
}

export interface EvaluationContext {
  /** Epoch milliseconds; relative dates are measured from here. */
  now: number
}

export interface Explanation {
  path: string
  description: string
  held: boolean
  /** The profile's value behind a leaf: the field, the interests, the cohort score or segment membership. */
  actual?: unknown
  children?: Explanation[]
}

export function evaluate(condition: Condition, profile: SegmentProfile, context: EvaluationContext): boolean {
  switch (condition.kind) {
    case 'all':
      return condition.children.every((child) => evaluate(child, profile, context))
    case 'any':
      return condition.children.some((child) => evaluate(child, profile, context))
    case 'not':
      return !evaluate(condition.child, profile, context)
    case 'field':
      return testField(condition, profile, context)
    case 'interest': {
      const { op, value } = condition
      return profile.interests.some((interest) => matchText(op, foldCase(interest), value))
    }
    case 'cohort': {
      const score = profile.cohorts.get(condition.nameKey)
      return score !== undefined && (condition.minScore === null || score >= condition.minScore)
    }
    case 'segment':
      return profile.segments.has(condition.segmentId)
  }
}

export function explain(condition: Condition, profile: SegmentProfile, context: EvaluationContext, path = ROOT_PATH): Explanation {
  const description = describeCondition(condition)
  switch (condition.kind) {
    case 'all':
    case 'any': {
      const children = condition.children.map((child, index) => explain(child, profile, context, `${path}.${condition.kind}[${index}]`))
      const held = condition.kind === 'all' ? children.every((child) => child.held) : children.some((child) => child.held)
      return { path, description, held, children }
    }
    case 'not': {
      const child = explain(condition.child, profile, context, `${path}.not`)
      return { path, description, held: !child.held, children: [child] }
    }
    case 'field':
      return { path, description, held: testField(condition, profile, context), actual: rawValue(condition.ref, profile) ?? null }
    case 'interest':
      return { path, description, held: evaluate(condition, profile, context), actual: profile.interests }
    case 'cohort':
      return { path, description, held: evaluate(condition, profile, context), actual: profile.cohorts.get(condition.nameKey) ?? null }
    case 'segment':
      return { path, description, held: evaluate(condition, profile, context), actual: profile.segments.has(condition.segmentId) }
  }
}

/**
 * The earliest time after `now` at which the verdict differs only because the clock moved, or null.
 * Each within_last/before_last leaf flips once, just after value + duration; between those instants
 * the verdict is constant, so checking each candidate in order gives the exact answer.
 */
export function nextTimeChange(condition: Condition, profile: SegmentProfile, now: number): number | null {
  const candidates = new Set<number>()
  collectRelativeLeaves(condition, (leaf, durationMs) => {
    const value = numberOf(leaf.ref, profile)
    if (value === null) return
    // Clock values are whole milliseconds: the first one past value + duration.
    const flip = Math.floor(value + durationMs) + 1
    if (flip > now) candidates.add(flip)
  })
  const current = evaluate(condition, profile, { now })
  for (const time of [...candidates].sort((a, b) => a - b)) {
    if (evaluate(condition, profile, { now: time }) !== current) return time
  }
  return null
}

function collectRelativeLeaves(condition: Condition, visit: (leaf: FieldCondition, durationMs: number) => void): void {
  if (condition.kind === 'all' || condition.kind === 'any') condition.children.forEach((child) => collectRelativeLeaves(child, visit))
  else if (condition.kind === 'not') collectRelativeLeaves(condition.child, visit)
  else if (condition.kind === 'field' && condition.test.type === 'relative_time') visit(condition, condition.test.durationMs)
}

function testField({ ref, test }: FieldCondition, profile: SegmentProfile, context: EvaluationContext): boolean {
  switch (test.type) {
    case 'exists':
      return isPresent(rawValue(ref, profile)) === test.value
    case 'boolean': {
      const value = rawValue(ref, profile)
      if (typeof value !== 'boolean') return false
      return test.op === 'eq' ? value === test.value : value !== test.value
    }
    case 'text': {
      const value = textOf(ref, profile)
      return value !== null && compareText(test, value)
    }
    case 'number': {
      const value = numberOf(ref, profile)
      return value !== null && compareNumber(test, value)
    }
    case 'relative_time': {
      const value = numberOf(ref, profile)
      if (value === null) return false
      // The same threshold expression sql.ts binds, so both sides round identically.
      const threshold = context.now - test.durationMs
      return test.op === 'within_last' ? value >= threshold : value < threshold
    }
  }
}

function compareText(test: Extract<FieldTest, { type: 'text' }>, value: string): boolean {
  const [first = ''] = test.values
  switch (test.op) {
    case 'eq':
      return value === first
    case 'neq':
      return value !== first
    case 'in':
      return test.values.includes(value)
    case 'not_in':
      return !test.values.includes(value)
    case 'contains':
    case 'starts_with':
      return matchText(test.op, value, first)
  }
}

function compareNumber(test: Extract<FieldTest, { type: 'number' }>, value: number): boolean {
  const [first = NaN, second = NaN] = test.values
  switch (test.op) {
    case 'eq':
      return value === first
    case 'neq':
      return value !== first
    case 'in':
      return test.values.includes(value)
    case 'not_in':
      return !test.values.includes(value)
    case 'gt':
      return value > first
    case 'gte':
      return value >= first
    case 'lt':
      return value < first
    case 'lte':
      return value <= first
    case 'between':
      return value >= first && value <= second
  }
}

function matchText(op: 'eq' | 'contains' | 'starts_with', value: string, pattern: string): boolean {
  if (op === 'eq') return value === pattern
  return op === 'contains' ? value.includes(pattern) : value.startsWith(pattern)
}

function rawValue(ref: FieldRef, profile: SegmentProfile): unknown {
  switch (ref.kind) {
    case 'text':
      return profile[ref.column]
    case 'age':
      return profile.age
    case 'income':
      return profile.income
    case 'time':
      return profile[ref.column]
    case 'trait':
      // Own keys only: "constructor" or "__proto__" must not read the prototype.
      return Object.hasOwn(profile.traits, ref.key) ? profile.traits[ref.key] : undefined
  }
}

function isPresent(value: unknown): boolean {
  return value !== null && value !== undefined
}

function textOf(ref: FieldRef, profile: SegmentProfile): string | null {
  const value = rawValue(ref, profile)
  return typeof value === 'string' ? foldCase(value) : null
}

function numberOf(ref: FieldRef, profile: SegmentProfile): number | null {
  const value = rawValue(ref, profile)
  if (ref.kind === 'income') return typeof value === 'string' ? parseMoney(value) : null
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}
