// A condition compiled once into a function of its own, for the hot path: every active segment ×
// every profile an ingest transaction touches. Closures nested per node would share their call
// sites among all segments (one function literal each), so V8 could inline none of them; a function
// generated per condition has its own, its field reads are fixed property loads on views of one
// shape, and its comparisons inline. It answers exactly as evaluate() does (evaluate.test.ts and
// condition-sql.test.ts check them against each other); explain, nextTimeChange and SQL keep
// reading the tree.
//
// Safety of the generated source: every value of the definition (texts, numbers, lists, names) is
// passed in the constants array and read as k[i]; the only text written into the source is
// property names, each as a JSON string literal, and operators chosen here.
import type { Condition, FieldCondition, FieldRef, FieldTest } from '../../domain/condition.ts'
import type { SegmentProfile } from '../../domain/segment-view.ts'
import { foldCase, parseMoney } from '../../domain/text-compare.ts'
import { evaluate } from './evaluate.ts'

/** The verdict of one condition for one profile at `now` (epoch ms). */
export type CompiledCondition = (profile: SegmentProfile, now: number) => boolean

const compiled = new WeakMap<Condition, CompiledCondition>()

/** Compiled once per condition object: stored segments keep theirs while they stay active. */
export function compileCondition(condition: Condition): CompiledCondition {
  let test = compiled.get(condition)
  if (!test) {
    test = generate(condition)
    compiled.set(condition, test)
  }
  return test
}

/** What generated code calls: the same conversions evaluate.ts applies to a leaf's value. */
const helpers = {
  /** textOf: a string folded, anything else missing. */
  text: (value: unknown): string | null => (typeof value === 'string' ? foldCase(value) : null),
  /** numberOf for every ref but income. */
  number: (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null),
  /** numberOf for income: money text. */
  money: (value: unknown): number | null => (typeof value === 'string' ? parseMoney(value) : null),
  /** Own keys only: "constructor" or "__proto__" must not read the prototype. */
  trait: (traits: Readonly<Record<string, unknown>>, key: string): unknown => (Object.hasOwn(traits, key) ? traits[key] : undefined),
  interests: foldedInterests,
  interestEq: (interests: readonly string[], pattern: string): boolean => interests.includes(pattern),
  interestContains: (interests: readonly string[], pattern: string): boolean => {
    for (const interest of interests) if (interest.includes(pattern)) return true
    return false
  },
  interestStartsWith: (interests: readonly string[], pattern: string): boolean => {
    for (const interest of interests) if (interest.startsWith(pattern)) return true
    return false
  },
  // Occurrence tests (windows, filters, first/last) are rare next to field leaves: the interpreter
  // answers them, so the two cannot drift apart.
  event: (condition: Condition, profile: SegmentProfile, now: number): boolean => evaluate(condition, profile, { now }),
}

// Segments are evaluated one after another for the same view, and several read its interests: the
// folded list of the last array seen serves them all. Views never change their interests array.
let lastInterests: readonly string[] | null = null
let lastFolded: readonly string[] = []
function foldedInterests(interests: readonly string[]): readonly string[] {
  if (interests !== lastInterests) {
    lastFolded = interests.map(foldCase)
    lastInterests = interests
  }
  return lastFolded
}

function generate(condition: Condition): CompiledCondition {
  const constants: unknown[] = []
  const constant = (value: unknown): string => {
    constants.push(value)
    return `k[${constants.length - 1}]`
  }
  const body = expression(condition, constant)
  // t, n, v: the value of the leaf being tested; each leaf assigns before it reads.
  const source = `'use strict'; return function compiled(p, now) { let t, n, v; return ${body} }`
  return new Function('k', 'h', source)(constants, helpers) as CompiledCondition
}

function expression(condition: Condition, constant: (value: unknown) => string): string {
  switch (condition.kind) {
    case 'all':
      return condition.children.length === 0 ? 'true' : `(${condition.children.map((child) => expression(child, constant)).join(' && ')})`
    case 'any':
      return condition.children.length === 0 ? 'false' : `(${condition.children.map((child) => expression(child, constant)).join(' || ')})`
    case 'not':
      return `!${expression(condition.child, constant)}`
    case 'field':
      return fieldExpression(condition, constant)
    case 'interest': {
      const helper = condition.op === 'eq' ? 'interestEq' : condition.op === 'contains' ? 'interestContains' : 'interestStartsWith'
      return `h.${helper}(h.interests(p.interests), ${constant(condition.value)})`
    }
    case 'cohort':
      if (condition.minScore === null) return `p.cohorts.has(${constant(condition.nameKey)})`
      return `((n = p.cohorts.get(${constant(condition.nameKey)})) !== undefined && n >= ${constant(condition.minScore)})`
    case 'segment':
      return `p.segments.has(${constant(condition.segmentId)})`
    case 'event':
      return `h.event(${constant(condition)}, p, now)`
    case 'consent':
      return `((p.consent[${constant(condition.purpose)}] === true) === ${condition.granted ? 'true' : 'false'})`
  }
}

/** The leaf's raw value, as evaluate.ts rawValue reads it. */
function rawValue(ref: FieldRef, constant: (value: unknown) => string): string {
  const property = (name: string) => `p[${JSON.stringify(name)}]`
  switch (ref.kind) {
    case 'text':
    case 'time':
      return property(ref.column)
    case 'age':
      return property(ref.column ?? 'age')
    case 'income':
      return property(ref.column ?? 'income')
    case 'trait':
      return `h.trait(p.traits, ${constant(ref.key)})`
  }
}

function fieldExpression({ ref, test }: FieldCondition, constant: (value: unknown) => string): string {
  const raw = rawValue(ref, constant)
  switch (test.type) {
    case 'exists':
      return `(((v = ${raw}) !== null && v !== undefined) === ${test.value ? 'true' : 'false'})`
    case 'boolean':
      return `(typeof (v = ${raw}) === 'boolean' && v ${test.op === 'eq' ? '===' : '!=='} ${test.value ? 'true' : 'false'})`
    case 'text':
      return `((t = h.text(${raw})) !== null && ${textComparison(test, constant)})`
    case 'number':
      return `((n = h.${ref.kind === 'income' ? 'money' : 'number'}(${raw})) !== null && ${numberComparison(test, constant)})`
    case 'relative_time':
      // The same threshold expression evaluate.ts and sql.ts use, so all sides round identically.
      return `((n = h.${ref.kind === 'income' ? 'money' : 'number'}(${raw})) !== null && n ${test.op === 'within_last' ? '>=' : '<'} now - ${constant(test.durationMs)})`
  }
}

function textComparison(test: Extract<FieldTest, { type: 'text' }>, constant: (value: unknown) => string): string {
  const first = test.values[0] ?? ''
  switch (test.op) {
    case 'eq':
      return `t === ${constant(first)}`
    case 'neq':
      return `t !== ${constant(first)}`
    case 'in':
      return `${constant(new Set(test.values))}.has(t)`
    case 'not_in':
      return `!${constant(new Set(test.values))}.has(t)`
    case 'contains':
      return `t.includes(${constant(first)})`
    case 'starts_with':
      return `t.startsWith(${constant(first)})`
  }
}

function numberComparison(test: Extract<FieldTest, { type: 'number' }>, constant: (value: unknown) => string): string {
  const [first = NaN, second = NaN] = test.values
  switch (test.op) {
    case 'eq':
      return `n === ${constant(first)}`
    case 'neq':
      return `n !== ${constant(first)}`
    // includes, as evaluate.ts compares lists.
    case 'in':
      return `${constant(test.values)}.includes(n)`
    case 'not_in':
      return `!${constant(test.values)}.includes(n)`
    case 'gt':
      return `n > ${constant(first)}`
    case 'gte':
      return `n >= ${constant(first)}`
    case 'lt':
      return `n < ${constant(first)}`
    case 'lte':
      return `n <= ${constant(first)}`
    case 'between':
      return `n >= ${constant(first)} && n <= ${constant(second)}`
  }
}
