// Evaluates a parsed condition against one profile in memory, explains the verdict node by node,
// and tells a scheduler when the verdict could next change as the clock moves.
//
// Missing values (SQL-like, and sql.ts matches it exactly): a field that is null or absent, an income
// that is not money under a numeric test, or a trait of another JSON type than the test's value makes
// every comparison false, neq and not_in included. Only `exists: false` holds. `not` is a plain
// boolean negation, so { not: { city eq "paris" } } includes profiles without a city while
// { city neq "paris" } does not.
import type { EventOccurrence, SegmentProfile } from '../../domain/segment-view.ts'
import { type Condition, type EventCondition, type FieldCondition, type FieldRef, type FieldTest, type OccurrenceTest, type PropertyFilter } from '../../domain/condition.ts'
import { describeCondition } from './describe.ts'
import { ROOT_PATH } from './parse.ts'
import { foldCase, parseMoney } from '../../domain/text-compare.ts'



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
    // Loops rather than every/some with a callback: this runs for every profile × segment on ingest
    // and backfill, and a closure per call was a measurable share of it.
    case 'all':
      for (const child of condition.children) if (!evaluate(child, profile, context)) return false
      return true
    case 'any':
      for (const child of condition.children) if (evaluate(child, profile, context)) return true
      return false
    case 'not':
      return !evaluate(condition.child, profile, context)
    case 'field':
      return testField(condition, profile, context)
    case 'interest': {
      const { op, value } = condition
      for (const interest of profile.interests) if (matchText(op, foldCase(interest), value)) return true
      return false
    }
    case 'cohort': {
      const score = profile.cohorts.get(condition.nameKey)
      return score !== undefined && (condition.minScore === null || score >= condition.minScore)
    }
    case 'segment':
      return profile.segments.has(condition.segmentId)
    case 'event':
      return testEvent(condition, eventFacts(condition, profile, context.now), context.now)
    case 'consent':
      return (profile.consent[condition.purpose] === true) === condition.granted
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
    case 'event': {
      const facts = eventFacts(condition, profile, context.now)
      // first/last without a window or count may have read only the edge occurrences: no count to show.
      const timing = condition.first !== null || condition.last !== null
      const actual = timing ? { first: isoTime(facts.first), last: isoTime(facts.last) } : { count: facts.count, first: isoTime(facts.first), last: isoTime(facts.last) }
      return { path, description, held: testEvent(condition, facts, context.now), actual }
    }
    case 'consent':
      // The latest statement (true or false), null when the purpose was never stated.
      return { path, description, held: evaluate(condition, profile, context), actual: Object.hasOwn(profile.consent, condition.purpose) ? profile.consent[condition.purpose] : null }
  }
}

/**
 * The earliest time after `now` at which the verdict differs only because the clock moved, or null.
 * Each leaf contributes the instants at which it alone flips: a within_last/before_last test once,
 * just after value + duration; a windowed event count each time an occurrence leaving the window takes
 * the count across its test. Between those instants the verdict is constant, so checking each
 * candidate in order gives the exact answer.
 */
export function nextTimeChange(condition: Condition, profile: SegmentProfile, now: number, current = evaluate(condition, profile, { now })): number | null {
  const candidates: number[] = []
  for (const leaf of timedLeaves(condition)) {
    if (leaf.kind === 'field') {
      const value = numberOf(leaf.ref, profile)
      if (value !== null && leaf.test.type === 'relative_time') addFlip(candidates, now, value, leaf.test.durationMs)
      continue
    }
    if (leaf.window !== null) {
      for (const time of windowFlips(leaf, leaf.window.durationMs, profile, now)) candidates.push(time)
      continue
    }
    const facts = eventFacts(leaf, profile, now)
    if (leaf.first?.type === 'relative_time' && facts.first !== null) addFlip(candidates, now, facts.first, leaf.first.durationMs)
    if (leaf.last?.type === 'relative_time' && facts.last !== null) addFlip(candidates, now, facts.last, leaf.last.durationMs)
  }
  // Most profiles have one candidate (a last_seen window); several may repeat the same instant.
  if (candidates.length > 1) candidates.sort(ascending)
  let previous: number | undefined
  for (const time of candidates) {
    if (time === previous) continue
    previous = time
    if (evaluate(condition, profile, { now: time }) !== current) return time
  }
  return null
}

function isoTime(ms: number | null): string | number | null {
  if (ms === null) return null
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? ms : date.toISOString()
}

function addFlip(candidates: number[], now: number, value: number, durationMs: number): void {
  const flip = flipAfter(value, durationMs)
  if (flip > now) candidates.push(flip)
}

function ascending(a: number, b: number): number {
  return a - b
}

/** Clock values are whole milliseconds: the first one past value + duration. */
function flipAfter(value: number, durationMs: number): number {
  return Math.floor(value + durationMs) + 1
}

/**
 * When a windowed event leaf flips as its occurrences age out (new ones only come with new data).
 * An occurrence counts while now <= at + window; walking the exits in order, the count steps down and
 * the leaf flips wherever its test changes, e.g. "at least 3" when the third-newest leaves.
 */
function windowFlips(leaf: EventCondition, windowMs: number, profile: SegmentProfile, now: number): number[] {
  const exits: number[] = []
  for (const occurrence of matchingOccurrences(leaf, profile, now)) exits.push(flipAfter(occurrence.at, windowMs))
  exits.sort(ascending)
  const flips: number[] = []
  let count = exits.length
  let held = testCount(leaf, count)
  for (let index = 0; index < exits.length; ) {
    const time = exits[index] as number
    while (index < exits.length && exits[index] === time) {
      index++
      count--
    }
    const next = testCount(leaf, count)
    if (next !== held) flips.push(time)
    held = next
  }
  return flips
}

// A segment's condition is parsed once and evaluated for every profile: its timed leaves are found once.
const timedLeavesOf = new WeakMap<Condition, ReadonlyArray<FieldCondition | EventCondition>>()

function timedLeaves(condition: Condition): ReadonlyArray<FieldCondition | EventCondition> {
  let leaves = timedLeavesOf.get(condition)
  if (!leaves) {
    const found: Array<FieldCondition | EventCondition> = []
    collectTimedLeaves(condition, found)
    timedLeavesOf.set(condition, found)
    leaves = found
  }
  return leaves
}

function collectTimedLeaves(condition: Condition, into: Array<FieldCondition | EventCondition>): void {
  if (condition.kind === 'all' || condition.kind === 'any') for (const child of condition.children) collectTimedLeaves(child, into)
  else if (condition.kind === 'not') collectTimedLeaves(condition.child, into)
  else if (condition.kind === 'field' && condition.test.type === 'relative_time') into.push(condition)
  else if (condition.kind === 'event') into.push(condition)
}

interface EventFacts {
  /** Matching occurrences: in the window when there is one, else all loaded. */
  count: number
  first: number | null
  last: number | null
}

/** Occurrences of the leaf's event that pass its property filters and, with a window, fall in it. */
function* matchingOccurrences(leaf: EventCondition, profile: SegmentProfile, now: number): Generator<EventOccurrence> {
  // The same threshold expression sql.ts binds (rounded up there, for whole-millisecond columns).
  const threshold = leaf.window === null ? null : now - leaf.window.durationMs
  for (const occurrence of profile.events.get(leaf.name) ?? []) {
    if (threshold !== null && occurrence.at < threshold) continue
    if (leaf.where.every((filter) => testProperty(filter, occurrence.properties))) yield occurrence
  }
}

function eventFacts(leaf: EventCondition, profile: SegmentProfile, now: number): EventFacts {
  const facts: EventFacts = { count: 0, first: null, last: null }
  for (const { at } of matchingOccurrences(leaf, profile, now)) {
    facts.count++
    if (facts.first === null || at < facts.first) facts.first = at
    if (facts.last === null || at > facts.last) facts.last = at
  }
  return facts
}

function testEvent(leaf: EventCondition, facts: EventFacts, now: number): boolean {
  if (leaf.first === null && leaf.last === null) return testCount(leaf, facts.count)
  // No occurrence means no first or last time: missing, so the test fails like a missing field.
  if (leaf.first !== null && (facts.first === null || !testOccurrence(leaf.first, facts.first, now))) return false
  if (leaf.last !== null && (facts.last === null || !testOccurrence(leaf.last, facts.last, now))) return false
  return true
}

/** Without a count test, the leaf asks for at least one occurrence. */
function testCount(leaf: EventCondition, count: number): boolean {
  return leaf.count === null ? count > 0 : compareNumber(leaf.count, count)
}

function testOccurrence(test: OccurrenceTest, at: number, now: number): boolean {
  if (test.type === 'number') return compareNumber(test, at)
  const threshold = now - test.durationMs
  return test.op === 'within_last' ? at >= threshold : at < threshold
}

function testProperty({ path, test }: PropertyFilter, properties: Readonly<Record<string, unknown>>): boolean {
  return testValue(test, propertyValue(properties, path))
}

/** Walks own keys of nested objects; an array, a scalar or a missing key on the way gives undefined. */
function propertyValue(properties: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = properties
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** A trait-style test of one JSON value: another type than the test's counts as missing. */
function testValue(test: Exclude<FieldTest, { type: 'relative_time' }>, value: unknown): boolean {
  switch (test.type) {
    case 'exists':
      return isPresent(value) === test.value
    case 'boolean':
      if (typeof value !== 'boolean') return false
      return test.op === 'eq' ? value === test.value : value !== test.value
    case 'text':
      return typeof value === 'string' && compareText(test, foldCase(value))
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && compareNumber(test, value)
  }
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

function compareNumber(test: { op: Extract<FieldTest, { type: 'number' }>['op']; values: readonly number[] }, value: number): boolean {
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
    case 'time':
      return fieldOf(profile, ref.column)
    case 'age':
      return ref.column === undefined ? profile.age : fieldOf(profile, ref.column)
    case 'income':
      return ref.column === undefined ? profile.income : fieldOf(profile, ref.column)
    case 'trait':
      // Own keys only: "constructor" or "__proto__" must not read the prototype.
      return Object.hasOwn(profile.traits, ref.key) ? profile.traits[ref.key] : undefined
  }
}

/**
 * A field of the view by name. Views hold every field conditions can name (conditionFieldTable), and
 * the parser only makes refs to those fields, the email and the times.
 */
function fieldOf(profile: SegmentProfile, name: string): unknown {
  return (profile as unknown as Readonly<Record<string, unknown>>)[name]
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
