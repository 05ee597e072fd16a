// Parses and validates a segment definition written in JSON into a normalized Condition.
// Every problem is reported with the exact path to it, so the editor can point at the bad node.
import {
  type Condition,
  type CountOperator,
  type CountTest,
  DURATION_MS,
  type Duration,
  type DurationUnit,
  type FieldRef,
  type FieldTest,
  type InterestOperator,
  type OccurrenceTest,
  OPERATORS,
  type Operator,
  type PropertyFilter,
  conditionFields,
  TIME_FIELDS,
} from '../../domain/condition.ts'
import { consentPurposeKey } from '../../domain/consent.ts'
import { ok, type Outcome, rejected } from '../../domain/outcome.ts'
import { fieldSpec, PROFILE_FIELDS, type ProfileFieldTable } from '../../domain/profile-fields.ts'
import { foldCase, parseMoney } from '../../domain/text-compare.ts'

export type {
  Condition,
  ConsentCondition,
  CountTest,
  Duration,
  DurationUnit,
  EventCondition,
  EventNeed,
  FieldCondition,
  FieldRef,
  FieldTest,
  InterestOperator,
  NumberOperator,
  OccurrenceTest,
  Operator,
  PropertyFilter,
  TextOperator,
} from '../../domain/condition.ts'
export { eventNeeds, referencedCohorts, referencedConsent, referencedEvents, referencedSegments, usesRelativeTime } from '../../domain/condition.ts'

export interface ParseError {
  path: string
  message: string
}

/** The condition, or rejected('invalid_definition') with every problem found as the detail. */
export type ParseResult = Outcome<Condition, ParseError[]>

export const MAX_DEPTH = 10
export const MAX_CONDITIONS = 200
export const ROOT_PATH = 'conditions'

const NODE_KEYS = ['all', 'any', 'not', 'field', 'interest', 'cohort', 'segment', 'event', 'consent'] as const
type NodeKey = (typeof NODE_KEYS)[number]
const ALLOWED_KEYS: Record<NodeKey, readonly string[]> = {
  all: ['all'],
  any: ['any'],
  not: ['not'],
  field: ['field', 'op', 'value'],
  interest: ['interest', 'value'],
  cohort: ['cohort', 'min_score'],
  segment: ['segment'],
  event: ['event', 'where', 'within_last', 'count', 'first', 'last'],
  consent: ['consent', 'granted'],
}
const PROPERTY_KEYS = ['property', 'op', 'value']
const TEST_KEYS = ['op', 'value']
/** Most events carry a few properties; a bound keeps one leaf from hiding hundreds of tests. */
export const MAX_PROPERTY_FILTERS = 20
const INTEREST_OPERATORS: readonly InterestOperator[] = ['eq', 'contains', 'starts_with']
const DURATION_UNITS: readonly DurationUnit[] = ['days', 'hours', 'minutes']

const EQUALITY: readonly Operator[] = ['eq', 'neq', 'in', 'not_in']
const ORDERING: readonly Operator[] = ['gt', 'gte', 'lt', 'lte', 'between']
const MATCHING: readonly Operator[] = ['contains', 'starts_with']
const RELATIVE: readonly Operator[] = ['within_last', 'before_last']
const COUNT_OPERATORS: readonly CountOperator[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between']
/** Properties compare like traits; first/last like time fields, minus equality (to the millisecond, it never holds). */
const PROPERTY_OPERATORS: readonly Operator[] = [...EQUALITY, ...ORDERING, ...MATCHING, 'exists']
const OCCURRENCE_OPERATORS: readonly Operator[] = [...ORDERING, ...RELATIVE]

/** Which operators each kind of field accepts. Text has no ordering: collations differ between engines. */
const OPERATORS_FOR: Record<FieldRef['kind'], readonly Operator[]> = {
  text: [...EQUALITY, ...MATCHING, 'exists'],
  age: [...EQUALITY, ...ORDERING, 'exists'],
  income: [...EQUALITY, ...ORDERING, ...MATCHING, 'exists'],
  time: [...EQUALITY, ...ORDERING, ...RELATIVE, 'exists'],
  trait: [...EQUALITY, ...ORDERING, ...MATCHING, 'exists'],
}

// Date-times must carry a zone so a definition means the same instant on every server.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

/**
 * Every problem the parser finds, each at its path, in the order found: the one way any part of the
 * parser reports one. Parsing goes on after a problem, so a definition's errors all come back at once.
 */
export interface ParseIssues {
  /** Records a problem; returns null, so a part can `return issues.add(...)` for "no result". */
  add(path: string, message: string): null
  /** How many so far: a part that checks several things compares it before and after. */
  readonly count: number
  list(): ParseError[]
}

export function createParseIssues(): ParseIssues {
  const found: ParseError[] = []
  return {
    add(path, message) {
      found.push({ path, message })
      return null
    },
    get count() {
      return found.length
    },
    list: () => [...found],
  }
}

interface State {
  issues: ParseIssues
  leaves: number
  /** The profile fields conditions may name (see domain/profile-fields.ts). */
  fields: ProfileFieldTable
}

/** `fields`: the field table the definition is read against; tests pass a fixture table. */
export function parseSegmentDefinition(input: unknown, fields: ProfileFieldTable = PROFILE_FIELDS): ParseResult {
  const state: State = { issues: createParseIssues(), leaves: 0, fields }
  const condition = parseNode(input, ROOT_PATH, 1, state)
  if (state.leaves > MAX_CONDITIONS) state.issues.add(ROOT_PATH, `has ${state.leaves} conditions; at most ${MAX_CONDITIONS} are allowed`)
  if (state.issues.count > 0 || condition === null) return rejected('invalid_definition', state.issues.list())
  return ok(condition)
}

function parseNode(input: unknown, path: string, depth: number, state: State): Condition | null {
  if (depth > MAX_DEPTH) return state.issues.add(path, `nested deeper than ${MAX_DEPTH} levels`)
  if (!isPlainObject(input)) return state.issues.add(path, `expected an object with one of ${NODE_KEYS.join(', ')} (got ${show(input)})`)

  const kinds = NODE_KEYS.filter((key) => Object.hasOwn(input, key))
  if (kinds.length === 0) return state.issues.add(path, `expected one of ${NODE_KEYS.join(', ')} (got keys ${listKeys(input)})`)
  if (kinds.length > 1) return state.issues.add(path, `has more than one of ${kinds.join(', ')}; combine them inside "all" or "any"`)
  const kind = kinds[0] as NodeKey

  const keysOk = checkKeys(input, ALLOWED_KEYS[kind], path, state)

  switch (kind) {
    case 'all':
    case 'any': {
      const list = input[kind]
      if (!Array.isArray(list)) return state.issues.add(`${path}.${kind}`, `expected an array of conditions (got ${show(list)})`)
      if (list.length === 0) return state.issues.add(`${path}.${kind}`, 'must not be empty')
      const children = list.map((child, index) => parseNode(child, `${path}.${kind}[${index}]`, depth + 1, state))
      if (!keysOk || children.some((child) => child === null)) return null
      return { kind, children: children as Condition[] }
    }
    case 'not': {
      const child = parseNode(input.not, `${path}.not`, depth + 1, state)
      return keysOk && child ? { kind: 'not', child } : null
    }
    case 'field':
      state.leaves++
      return withKeys(parseField(input, path, state), keysOk)
    case 'interest':
      state.leaves++
      return withKeys(parseInterest(input, path, state), keysOk)
    case 'cohort':
      state.leaves++
      return withKeys(parseCohort(input, path, state), keysOk)
    case 'segment': {
      state.leaves++
      const id = input.segment
      if (typeof id !== 'string' || id.trim() === '') return state.issues.add(`${path}.segment`, `expected a segment id (got ${show(id)})`)
      return keysOk ? { kind: 'segment', segmentId: id } : null
    }
    case 'event':
      state.leaves++
      return withKeys(parseEvent(input, path, state), keysOk)
    case 'consent':
      state.leaves++
      return withKeys(parseConsent(input, path, state), keysOk)
  }
}

/**
 * {"consent": "marketing_email"} holds when the purpose is granted now; with "granted": false, when
 * it is not (withdrawn or never stated). The purpose is matched as everywhere ("Marketing Email" is
 * marketing_email); whether it is a configured purpose is the service's check, since stored
 * definitions must still parse after the configuration changes.
 */
function parseConsent(input: Record<string, unknown>, path: string, state: State): Condition | null {
  const issuesBefore = state.issues.count
  const name = input.consent
  const purpose = typeof name === 'string' ? consentPurposeKey(name) : ''
  if (purpose === '') state.issues.add(`${path}.consent`, `expected a consent purpose such as "marketing_email" (got ${show(name)})`)
  const granted = Object.hasOwn(input, 'granted') ? input.granted : true
  if (typeof granted !== 'boolean') state.issues.add(`${path}.granted`, `expected true (granted now) or false (withdrawn or never given) (got ${show(granted)})`)
  if (state.issues.count > issuesBefore) return null
  return { kind: 'consent', purpose, granted: granted as boolean }
}

function withKeys(condition: Condition | null, keysOk: boolean): Condition | null {
  return keysOk ? condition : null
}

function parseInterest(input: Record<string, unknown>, path: string, state: State): Condition | null {
  const op = input.interest
  const value = input.value
  const issuesBefore = state.issues.count
  if (typeof op !== 'string' || !INTEREST_OPERATORS.includes(op as InterestOperator)) {
    state.issues.add(`${path}.interest`, `unknown interest operator ${show(op)} (expected one of ${INTEREST_OPERATORS.join(', ')})`)
  }
  if (!Object.hasOwn(input, 'value')) state.issues.add(`${path}.value`, 'is required')
  else if (typeof value !== 'string' || value === '') state.issues.add(`${path}.value`, `needs a non-empty string (got ${show(value)})`)
  if (state.issues.count > issuesBefore) return null
  return { kind: 'interest', op: op as InterestOperator, value: foldCase(value as string) }
}

function parseCohort(input: Record<string, unknown>, path: string, state: State): Condition | null {
  const name = input.cohort
  const minScore = input.min_score
  const issuesBefore = state.issues.count
  if (typeof name !== 'string' || name.trim() === '') state.issues.add(`${path}.cohort`, `expected a cohort name (got ${show(name)})`)
  if (minScore !== undefined && !isFiniteNumber(minScore)) state.issues.add(`${path}.min_score`, `needs a number (got ${show(minScore)})`)
  if (state.issues.count > issuesBefore) return null
  // Cohorts are stored with name_key = name.toLowerCase() (see storage), so the key must be built the same way.
  const cohortName = name as string
  return { kind: 'cohort', name: cohortName, nameKey: cohortName.toLowerCase(), minScore: (minScore as number | undefined) ?? null }
}

/** An event leaf: which occurrences (name, where, within_last) and what must hold of them (count, first, last). */
function parseEvent(input: Record<string, unknown>, path: string, state: State): Condition | null {
  const issuesBefore = state.issues.count
  const name = input.event
  // Matched exactly, as sources send it: "Order Completed" and "order completed" are two events.
  if (typeof name !== 'string' || name.trim() === '') state.issues.add(`${path}.event`, `expected an event name like "Order Completed" (got ${show(name)})`)

  const where: PropertyFilter[] = []
  if (Object.hasOwn(input, 'where')) {
    const list = input.where
    if (!Array.isArray(list)) state.issues.add(`${path}.where`, `expected an array of property tests like {"property": "category", "op": "eq", "value": "shoes"} (got ${show(list)})`)
    else if (list.length === 0) state.issues.add(`${path}.where`, 'must not be empty')
    else if (list.length > MAX_PROPERTY_FILTERS) state.issues.add(`${path}.where`, `has ${list.length} property tests; at most ${MAX_PROPERTY_FILTERS} are allowed`)
    else {
      state.leaves += list.length
      list.forEach((item, index) => {
        const filter = parsePropertyFilter(item, `${path}.where[${index}]`, state)
        if (filter) where.push(filter)
      })
    }
  }

  let window: Duration | null = null
  if (Object.hasOwn(input, 'within_last')) {
    window = parseDuration(input.within_last)
    if (!window) state.issues.add(`${path}.within_last`, `within_last needs { days | hours | minutes: positive number } (got ${show(input.within_last)})`)
  }

  let count: CountTest | null = null
  if (Object.hasOwn(input, 'count')) count = parseCount(input.count, `${path}.count`, state)
  const first = Object.hasOwn(input, 'first') ? parseOccurrence(input.first, 'first', `${path}.first`, state) : null
  const last = Object.hasOwn(input, 'last') ? parseOccurrence(input.last, 'last', `${path}.last`, state) : null

  const timing = ['first', 'last'].filter((key) => Object.hasOwn(input, key))
  if (timing.length > 0) {
    const named = timing.map((key) => `"${key}"`).join(' and ')
    if (Object.hasOwn(input, 'count')) {
      state.issues.add(`${path}.count`, `cannot be combined with ${named}: count occurrences in one condition and test their time in another, inside "all"`)
    }
    if (Object.hasOwn(input, 'within_last')) {
      state.issues.add(`${path}.within_last`, `cannot be combined with ${named}, which look at every occurrence: write "last": {"op": "within_last", "value": …} instead`)
    }
  }
  if (state.issues.count > issuesBefore) return null
  return { kind: 'event', name: name as string, where, window, count, first, last }
}

function parsePropertyFilter(input: unknown, path: string, state: State): PropertyFilter | null {
  if (!isPlainObject(input)) return state.issues.add(path, `expected a property test like {"property": "category", "op": "eq", "value": "shoes"} (got ${show(input)})`)
  const keysOk = checkKeys(input, PROPERTY_KEYS, path, state)
  const property = input.property
  const propertyPath = typeof property === 'string' ? splitPropertyPath(property) : null
  if (propertyPath === null) state.issues.add(`${path}.property`, `expected a property name like "category" or "product.category" (got ${show(property)})`)
  const op = readOperator(input, path, PROPERTY_OPERATORS, 'event properties', state)
  if (!keysOk || propertyPath === null || op === null) return null
  if (!Object.hasOwn(input, 'value')) return state.issues.add(`${path}.value`, 'is required')
  // Properties are JSON values like traits, so they take the trait tests: see PropertyFilter.
  const test = parseTest({ kind: 'trait', key: property as string }, property as string, op, input.value, `${path}.value`, state)
  if (test === null || test.type === 'relative_time') return null
  return { property: property as string, path: propertyPath, test }
}

/** "product.category" -> ["product", "category"]; null when a part is empty or holds '"' or '\' (see sqlitePath in sql.ts). */
function splitPropertyPath(property: string): string[] | null {
  const parts = property.split('.')
  return parts.every((part) => part !== '' && !/["\\]/.test(part)) ? parts : null
}

function parseCount(input: unknown, path: string, state: State): CountTest | null {
  if (!isPlainObject(input)) return state.issues.add(path, `expected {"op": "gte", "value": 3} (got ${show(input)})`)
  if (!checkKeys(input, TEST_KEYS, path, state)) return null
  const op = readOperator(input, path, COUNT_OPERATORS, 'a count', state) as CountOperator | null
  if (op === null) return null
  if (!Object.hasOwn(input, 'value')) return state.issues.add(`${path}.value`, 'is required')
  const value = input.value
  const isCount = (item: unknown): item is number => Number.isSafeInteger(item) && (item as number) >= 0
  if (op !== 'between') return isCount(value) ? { type: 'number', op, values: [value] } : state.issues.add(`${path}.value`, `${op} needs a whole number of times, 0 or more (got ${show(value)})`)
  if (!Array.isArray(value) || value.length !== 2) return state.issues.add(`${path}.value`, `between needs [low, high] (got ${show(value)})`)
  value.forEach((bound, index) => {
    if (!isCount(bound)) state.issues.add(`${path}.value[${index}]`, `between needs a whole number of times, 0 or more (got ${show(bound)})`)
  })
  if (!value.every(isCount)) return null
  const [low, high] = value as [number, number]
  if (low > high) return state.issues.add(`${path}.value`, `between needs [low, high] with low <= high (got ${show(value)})`)
  return { type: 'number', op, values: [low, high] }
}

function parseOccurrence(input: unknown, which: 'first' | 'last', path: string, state: State): OccurrenceTest | null {
  if (!isPlainObject(input)) return state.issues.add(path, `expected {"op": "within_last", "value": {"days": 3}} or another time test (got ${show(input)})`)
  if (!checkKeys(input, TEST_KEYS, path, state)) return null
  const op = readOperator(input, path, OCCURRENCE_OPERATORS, `the ${which} occurrence`, state)
  if (op === null) return null
  if (!Object.hasOwn(input, 'value')) return state.issues.add(`${path}.value`, 'is required')
  const test = parseTest({ kind: 'time', column: 'first_seen' }, which, op, input.value, `${path}.value`, state)
  return test !== null && (test.type === 'number' || test.type === 'relative_time') ? test : null
}

/** The node's "op", known and allowed here; null after recording why not. */
function readOperator(input: Record<string, unknown>, path: string, allowed: readonly Operator[], subject: string, state: State): Operator | null {
  const op = input.op
  if (!Object.hasOwn(input, 'op')) return state.issues.add(`${path}.op`, `is required (expected one of ${allowed.join(', ')})`)
  if (typeof op === 'string' && (OPERATORS as readonly string[]).includes(op) && !allowed.includes(op as Operator)) return state.issues.add(`${path}.op`, `operator "${op}" does not apply to ${subject} (expected one of ${allowed.join(', ')})`)
  if (typeof op !== 'string' || !allowed.includes(op as Operator)) return state.issues.add(`${path}.op`, `unknown operator ${show(op)} (expected one of ${allowed.join(', ')})`)
  return op as Operator
}

/** False after recording each key that `allowed` does not list. */
function checkKeys(input: Record<string, unknown>, allowed: readonly string[], path: string, state: State): boolean {
  const issuesBefore = state.issues.count
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) state.issues.add(`${path}.${key}`, `unknown key "${key}" (expected ${allowed.join(', ')})`)
  }
  return state.issues.count === issuesBefore
}

/** Returns the leaf, or null after recording its errors. */
function parseField(input: Record<string, unknown>, path: string, state: State): Condition | null {
  const field = input.field
  const ref = typeof field === 'string' ? resolveField(field, state.fields) : null
  if (typeof field !== 'string') state.issues.add(`${path}.field`, `expected a field name (got ${show(field)})`)
  else if (ref === null) {
    state.issues.add(`${path}.field`, `unknown field ${show(field)} (expected one of ${conditionFields(state.fields).join(', ')}, or trait.<name>)`)
  }

  const op = input.op
  const isOperator = typeof op === 'string' && (OPERATORS as readonly string[]).includes(op)
  if (!Object.hasOwn(input, 'op')) state.issues.add(`${path}.op`, `is required (expected one of ${OPERATORS.join(', ')})`)
  else if (!isOperator) state.issues.add(`${path}.op`, `unknown operator ${show(op)} (expected one of ${OPERATORS.join(', ')})`)
  if (ref === null || !isOperator) return null

  const operator = op as Operator
  const name = field as string
  const allowed = OPERATORS_FOR[ref.kind]
  if (!allowed.includes(operator)) {
    return state.issues.add(`${path}.op`, `operator "${operator}" does not apply to ${describeKind(ref)} "${name}" (expected one of ${allowed.join(', ')})`)
  }
  if (!Object.hasOwn(input, 'value')) return state.issues.add(`${path}.value`, 'is required')
  const test = parseTest(ref, name, operator, input.value, `${path}.value`, state)
  return test ? { kind: 'field', field: name, ref, test } : null
}

/** What a field name reads: a trait, the email or a time column, or a field of the table by its segment kind. */
function resolveField(name: string, fields: ProfileFieldTable): FieldRef | null {
  if (name.startsWith('trait.')) {
    const key = name.slice('trait.'.length)
    // The key goes into a quoted JSON path on SQLite, which has no escape for '"'.
    if (key === '' || /["\\]/.test(key)) return null
    return { kind: 'trait', key }
  }
  if (name === 'email') return { kind: 'text', column: 'email' }
  if ((TIME_FIELDS as readonly string[]).includes(name)) return { kind: 'time', column: name as (typeof TIME_FIELDS)[number] }
  // Own keys only: "constructor" is not a field.
  const spec = fieldSpec(name, fields)
  switch (spec?.segment) {
    case 'text':
      return { kind: 'text', column: spec.column }
    // age and income keep their short refs, which the SQL compiler reads; a field a table adds names its column.
    case 'number':
      return name === 'age' ? { kind: 'age' } : { kind: 'age', column: spec.column }
    case 'money':
      return name === 'income' ? { kind: 'income' } : { kind: 'income', column: spec.column }
    default:
      return null
  }
}

function describeKind(ref: FieldRef): string {
  switch (ref.kind) {
    case 'text':
      return 'text field'
    case 'age':
      return 'number field'
    case 'income':
      return 'income field'
    case 'time':
      return 'time field'
    case 'trait':
      return 'trait'
  }
}

type Operand = { type: 'text'; value: string } | { type: 'number'; value: number } | { type: 'boolean'; value: boolean }

function parseTest(ref: FieldRef, field: string, op: Operator, value: unknown, path: string, state: State): FieldTest | null {
  switch (op) {
    case 'exists':
      return typeof value === 'boolean' ? { type: 'exists', value } : state.issues.add(path, `exists needs true or false (got ${show(value)})`)

    case 'within_last':
    case 'before_last': {
      const duration = parseDuration(value)
      if (!duration) return state.issues.add(path, `${op} needs { days | hours | minutes: positive number } (got ${show(value)})`)
      return { type: 'relative_time', op, ...duration }
    }

    case 'contains':
    case 'starts_with':
      if (typeof value !== 'string' || value === '') return state.issues.add(path, `${op} on "${field}" needs a non-empty string (got ${show(value)})`)
      return { type: 'text', op, values: [foldCase(value)] }

    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const number = readNumber(ref, value)
      return number === null ? state.issues.add(path, `${op} on "${field}" needs ${numberExpectation(ref)} (got ${show(value)})`) : { type: 'number', op, values: [number] }
    }

    case 'between': {
      if (!Array.isArray(value) || value.length !== 2) return state.issues.add(path, `between needs [low, high] (got ${show(value)})`)
      const bounds = value.map((bound) => readNumber(ref, bound))
      bounds.forEach((bound, index) => {
        if (bound === null) state.issues.add(`${path}[${index}]`, `between on "${field}" needs ${numberExpectation(ref)} (got ${show(value[index])})`)
      })
      if (bounds.includes(null)) return null
      const [low, high] = bounds as [number, number]
      if (low > high) return state.issues.add(path, `between needs [low, high] with low <= high (got ${show(value)})`)
      return { type: 'number', op, values: [low, high] }
    }

    case 'eq':
    case 'neq': {
      const operand = readOperand(ref, value)
      if (!operand) return state.issues.add(path, `${op} on "${field}" needs ${operandExpectation(ref)} (got ${show(value)})`)
      if (operand.type === 'boolean') return { type: 'boolean', op, value: operand.value }
      return operand.type === 'text' ? { type: 'text', op, values: [operand.value] } : { type: 'number', op, values: [operand.value] }
    }

    case 'in':
    case 'not_in': {
      if (!Array.isArray(value) || value.length === 0) return state.issues.add(path, `${op} needs a non-empty array (got ${show(value)})`)
      const operands = value.map((item, index) => {
        const operand = readOperand(ref, item)
        if (operand === null || operand.type === 'boolean') return state.issues.add(`${path}[${index}]`, `${op} on "${field}" needs ${operandExpectation(ref, { booleans: false })} (got ${show(item)})`)
        return operand
      })
      if (operands.some((operand) => operand === null)) return null
      const valid = operands as Operand[]
      const types = new Set(valid.map((operand) => operand.type))
      if (types.size > 1) return state.issues.add(path, `${op} needs values of one type (got ${[...types].join(' and ')} values)`)
      if (valid[0]?.type === 'text') return { type: 'text', op, values: valid.map((operand) => operand.value as string) }
      return { type: 'number', op, values: valid.map((operand) => operand.value as number) }
    }
  }
}

function parseDuration(value: unknown): Duration | null {
  if (!isPlainObject(value)) return null
  const keys = Object.keys(value)
  if (keys.length !== 1) return null
  const unit = keys[0] as DurationUnit
  const amount = value[unit]
  if (!DURATION_UNITS.includes(unit) || !isFiniteNumber(amount) || amount <= 0) return null
  return { amount, unit, durationMs: amount * DURATION_MS[unit] }
}

/** A number for ordering operators, already converted to the unit stored (ms for times, amounts for income). */
function readNumber(ref: FieldRef, value: unknown): number | null {
  if (isFiniteNumber(value)) return value
  if (typeof value !== 'string') return null
  if (ref.kind === 'income') return parseMoney(value)
  if (ref.kind === 'time') return parseIsoTime(value)
  return null
}

/** The operand of eq/neq/in/not_in; its type decides whether the comparison is textual or numeric. */
function readOperand(ref: FieldRef, value: unknown): Operand | null {
  switch (ref.kind) {
    case 'text':
      return typeof value === 'string' ? { type: 'text', value: foldCase(value) } : null
    case 'age':
    case 'time': {
      const number = readNumber(ref, value)
      return number === null ? null : { type: 'number', value: number }
    }
    case 'income':
    case 'trait':
      if (typeof value === 'string') return { type: 'text', value: foldCase(value) }
      if (isFiniteNumber(value)) return { type: 'number', value }
      if (ref.kind === 'trait' && typeof value === 'boolean') return { type: 'boolean', value }
      return null
  }
}

function numberExpectation(ref: FieldRef): string {
  if (ref.kind === 'income') return 'a number or an amount like "$100k"'
  if (ref.kind === 'time') return 'epoch milliseconds or an ISO 8601 date like "2024-01-15T10:30:00Z"'
  return 'a number'
}

function operandExpectation(ref: FieldRef, options: { booleans: boolean } = { booleans: true }): string {
  switch (ref.kind) {
    case 'text':
      return 'a string'
    case 'age':
    case 'time':
      return numberExpectation(ref)
    case 'income':
      return 'a string (compared as text) or a number (compared as an amount)'
    case 'trait':
      return options.booleans ? 'a string, number or boolean' : 'strings or numbers'
  }
}

function parseIsoTime(text: string): number | null {
  if (!ISO_DATE.test(text) && !ISO_DATE_TIME.test(text)) return null
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : ms
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function listKeys(value: Record<string, unknown>): string {
  const keys = Object.keys(value)
  return keys.length === 0 ? 'none' : keys.map((key) => `"${key}"`).join(', ')
}

/** A short rendering of a bad value for messages. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
