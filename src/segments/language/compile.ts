// A condition compiled once into nested closures, for the hot path: every active segment × every
// profile an ingest transaction touches. Each leaf's operator, field and values are resolved at
// compile time (text lists become sets, money thresholds numbers), so a verdict is a few calls and
// comparisons instead of a walk over the tree with a switch per node. It answers exactly as
// evaluate() does (compile.test.ts checks them against each other); explain, nextTimeChange and
// SQL keep reading the tree.
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
    test = compileNode(condition)
    compiled.set(condition, test)
  }
  return test
}

function compileNode(condition: Condition): CompiledCondition {
  switch (condition.kind) {
    case 'all': {
      const children = condition.children.map(compileNode)
      if (children.length === 1) return children[0] as CompiledCondition
      if (children.length === 2) {
        const [a, b] = children as [CompiledCondition, CompiledCondition]
        return (p, now) => a(p, now) && b(p, now)
      }
      return (p, now) => {
        for (const child of children) if (!child(p, now)) return false
        return true
      }
    }
    case 'any': {
      const children = condition.children.map(compileNode)
      if (children.length === 1) return children[0] as CompiledCondition
      if (children.length === 2) {
        const [a, b] = children as [CompiledCondition, CompiledCondition]
        return (p, now) => a(p, now) || b(p, now)
      }
      return (p, now) => {
        for (const child of children) if (child(p, now)) return true
        return false
      }
    }
    case 'not': {
      const child = compileNode(condition.child)
      return (p, now) => !child(p, now)
    }
    case 'field':
      return compileField(condition)
    case 'interest': {
      const { op, value } = condition
      const matches = textMatcher(op, value)
      return (p) => {
        for (const interest of foldedInterests(p.interests)) if (matches(interest)) return true
        return false
      }
    }
    case 'cohort': {
      const { nameKey, minScore } = condition
      if (minScore === null) return (p) => p.cohorts.has(nameKey)
      return (p) => {
        const score = p.cohorts.get(nameKey)
        return score !== undefined && score >= minScore
      }
    }
    case 'segment': {
      const { segmentId } = condition
      return (p) => p.segments.has(segmentId)
    }
    case 'event':
      // Occurrence tests (windows, filters, first/last) are rare next to field leaves: the
      // interpreter answers them, so the two cannot drift apart.
      return (p, now) => evaluate(condition, p, { now })
    case 'consent': {
      const { purpose, granted } = condition
      return (p) => (p.consent[purpose] === true) === granted
    }
  }
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

function textMatcher(op: 'eq' | 'contains' | 'starts_with', pattern: string): (value: string) => boolean {
  if (op === 'eq') return (value) => value === pattern
  return op === 'contains' ? (value) => value.includes(pattern) : (value) => value.startsWith(pattern)
}

/** Reads the leaf's raw value from a view, as evaluate.ts rawValue does. */
function reader(ref: FieldRef): (p: SegmentProfile) => unknown {
  const fieldOf = (name: string) => (p: SegmentProfile) => (p as unknown as Readonly<Record<string, unknown>>)[name]
  switch (ref.kind) {
    case 'text':
    case 'time':
      return fieldOf(ref.column)
    case 'age':
      return ref.column === undefined ? (p) => p.age : fieldOf(ref.column)
    case 'income':
      return ref.column === undefined ? (p) => p.income : fieldOf(ref.column)
    case 'trait': {
      const { key } = ref
      // Own keys only: "constructor" or "__proto__" must not read the prototype.
      return (p) => (Object.hasOwn(p.traits, key) ? p.traits[key] : undefined)
    }
  }
}

/** The leaf's value as a number, or null when it is missing or of another type (numberOf). */
function numberReader(ref: FieldRef): (p: SegmentProfile) => number | null {
  const raw = reader(ref)
  if (ref.kind === 'income') {
    return (p) => {
      const value = raw(p)
      return typeof value === 'string' ? parseMoney(value) : null
    }
  }
  return (p) => {
    const value = raw(p)
    return typeof value === 'number' && Number.isFinite(value) ? value : null
  }
}

function compileField({ ref, test }: FieldCondition): CompiledCondition {
  const raw = reader(ref)
  switch (test.type) {
    case 'exists': {
      const wanted = test.value
      return (p) => {
        const value = raw(p)
        return (value !== null && value !== undefined) === wanted
      }
    }
    case 'boolean': {
      const { op, value: wanted } = test
      return (p) => {
        const value = raw(p)
        if (typeof value !== 'boolean') return false
        return op === 'eq' ? value === wanted : value !== wanted
      }
    }
    case 'text': {
      const matches = textTest(test)
      return (p) => {
        const value = raw(p)
        return typeof value === 'string' && matches(foldCase(value))
      }
    }
    case 'number': {
      const number = numberReader(ref)
      const matches = numberTest(test)
      return (p) => {
        const value = number(p)
        return value !== null && matches(value)
      }
    }
    case 'relative_time': {
      const number = numberReader(ref)
      const { op, durationMs } = test
      // The same threshold expression evaluate.ts and sql.ts use, so all sides round identically.
      if (op === 'within_last') {
        return (p, now) => {
          const value = number(p)
          return value !== null && value >= now - durationMs
        }
      }
      return (p, now) => {
        const value = number(p)
        return value !== null && value < now - durationMs
      }
    }
  }
}

function textTest(test: Extract<FieldTest, { type: 'text' }>): (value: string) => boolean {
  const [first = ''] = test.values
  switch (test.op) {
    case 'eq':
      return (value) => value === first
    case 'neq':
      return (value) => value !== first
    case 'in': {
      const values = new Set(test.values)
      return (value) => values.has(value)
    }
    case 'not_in': {
      const values = new Set(test.values)
      return (value) => !values.has(value)
    }
    case 'contains':
    case 'starts_with':
      return textMatcher(test.op, first)
  }
}

function numberTest(test: Extract<FieldTest, { type: 'number' }>): (value: number) => boolean {
  const [first = NaN, second = NaN] = test.values
  switch (test.op) {
    case 'eq':
      return (value) => value === first
    case 'neq':
      return (value) => value !== first
    // includes, not a Set: includes compares like === except that NaN never appears in a parsed
    // list anyway, and the lists are short.
    case 'in':
      return (value) => test.values.includes(value)
    case 'not_in':
      return (value) => !test.values.includes(value)
    case 'gt':
      return (value) => value > first
    case 'gte':
      return (value) => value >= first
    case 'lt':
      return (value) => value < first
    case 'lte':
      return (value) => value <= first
    case 'between':
      return (value) => value >= first && value <= second
  }
}
