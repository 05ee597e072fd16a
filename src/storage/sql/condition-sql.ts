// Compiles a parsed condition into a Kysely boolean expression over `profiles`, for SQLite and
// PostgreSQL, that selects exactly the profiles evaluate() accepts. Each step mirrors evaluate.ts:
// every leaf is made two-valued with IS TRUE (SQL NULL becomes false), so `not` inverts as in JS.
// Case folding is ASCII-only on both engines; income is compared through income_amount, which
// storage fills with parseMoney(income) on every write.
import { type Expression, type ExpressionBuilder, type RawBuilder, sql, type SqlBool } from 'kysely'
import type { Database } from './schema.ts'
import type { Condition, EventCondition, FieldCondition, FieldRef, FieldTest, OccurrenceTest, PropertyFilter } from '../../domain/condition.ts'
import { fieldSpec, type ProfileFieldSpec, type ProfileFieldTable } from '../../domain/profile-fields.ts'
import type { SqlDialect } from './dialect/dialect.ts'

export interface CompileOptions {
  /** How the engine spells case folding, JSON access and typed parameters. */
  dialect: SqlDialect
  /** Epoch milliseconds that relative dates are measured from; pass the same `now` as to evaluate(). */
  now: number
  /** The profile field table the condition was parsed with (default: the product's own). */
  fields?: ProfileFieldTable
}

type Sql<T = unknown> = RawBuilder<T>

const TRAITS = sql`profiles.traits`
const CONSENT = sql`profiles.consent`

/**
 * Usable as `db.selectFrom('profiles').where(compileCondition(condition, options))`. The query must
 * name the table `profiles` without an alias: the EXISTS subqueries correlate on profiles.id.
 * Segment conditions read `segment_memberships(segment_id, profile_id)`; event conditions read
 * `events(profile_id, name, at, properties)` through its (profile_id, name, at) index.
 */
export function compileCondition(
  condition: Condition,
  options: CompileOptions,
): (eb: ExpressionBuilder<Database, 'profiles'>) => Expression<SqlBool> {
  const expression = compileNode(condition, options)
  return () => expression
}

function compileNode(condition: Condition, options: CompileOptions, inAny = false): Sql<SqlBool> {
  switch (condition.kind) {
    case 'all':
      return sql<SqlBool>`(${sql.join(condition.children.map((child) => compileNode(child, options)), sql` AND `)})`
    case 'any':
      return sql<SqlBool>`(${sql.join(condition.children.map((child) => compileNode(child, options, true)), sql` OR `)})`
    case 'not':
      return sql<SqlBool>`(NOT ${compileNode(condition.child, options)})`
    case 'field':
      return isTrue(compileField(condition, options))
    case 'interest': {
      const interest = fold(sql`pi.interest`, options)
      const match = matchText(condition.op, interest, condition.value, options)
      // Not correlated: one pass over the interests builds the set of matching profiles, instead of
      // one probe per profile (2.5× faster over a million profiles on SQLite).
      return sql<SqlBool>`(profiles.id IN (SELECT pi.profile_id FROM profile_interests pi WHERE ${match}))`
    }
    case 'cohort': {
      const score = condition.minScore === null ? sql`` : sql` AND cm.score >= ${numberParam(condition.minScore, options)}`
      const name = textParam(condition.nameKey, options)
      // Under OR, a set lets SQLite answer each branch from its own index (a multi-index OR, 3× faster
      // over a million profiles); under AND, a probe per scanned profile beats driving from a big cohort.
      if (inAny) return sql<SqlBool>`(profiles.id IN (SELECT cm.profile_id FROM cohort_memberships cm JOIN cohorts c ON c.id = cm.cohort_id WHERE c.name_key = ${name}${score}))`
      return sql<SqlBool>`EXISTS (SELECT 1 FROM cohort_memberships cm JOIN cohorts c ON c.id = cm.cohort_id WHERE cm.profile_id = profiles.id AND c.name_key = ${name}${score})`
    }
    case 'segment':
      return sql<SqlBool>`EXISTS (SELECT 1 FROM segment_memberships sm WHERE sm.profile_id = profiles.id AND sm.segment_id = ${textParam(condition.segmentId, options)})`
    case 'event':
      return compileEvent(condition, options)
    case 'consent': {
      // profiles.consent is {purpose: {granted, at, source}}: granted now is a JSON true at purpose.granted.
      const granted = isTrue(options.dialect.json.isBoolean(CONSENT, [condition.purpose, 'granted'], true))
      return condition.granted ? granted : sql<SqlBool>`(NOT ${granted})`
    }
  }
}

/**
 * Correlated subqueries over the profile's occurrences of one event: EXISTS for "at least once", a
 * count compared with the test, min/max(at) for first/last (NULL without occurrences, so false).
 * Equality on profile_id and name, then a range on at, is a seek in events_profile_name_at.
 */
function compileEvent(leaf: EventCondition, options: CompileOptions): Sql<SqlBool> {
  const predicates: Sql[] = [sql`ev.profile_id = profiles.id`, sql`ev.name = ${textParam(leaf.name, options)}`]
  // `at` holds whole milliseconds, so at >= now - window is at >= ceil(now - window): an integer
  // bound keeps PostgreSQL on the bigint index instead of comparing as double precision.
  if (leaf.window !== null) predicates.push(sql`ev.at >= ${integerParam(Math.ceil(options.now - leaf.window.durationMs), options)}`)
  for (const filter of leaf.where) predicates.push(isTrue(compileProperty(filter, options)))
  const from = sql`FROM events ev WHERE ${sql.join(predicates, sql` AND `)}`
  if (leaf.first === null && leaf.last === null) {
    if (leaf.count === null) return sql<SqlBool>`EXISTS (SELECT 1 ${from})`
    return isTrue(compareNumber(sql`(SELECT count(*) ${from})`, leaf.count, options))
  }
  const tests: Sql<SqlBool>[] = []
  if (leaf.first !== null) tests.push(isTrue(compareOccurrence(sql`(SELECT min(ev.at) ${from})`, leaf.first, options)))
  if (leaf.last !== null) tests.push(isTrue(compareOccurrence(sql`(SELECT max(ev.at) ${from})`, leaf.last, options)))
  return sql<SqlBool>`(${sql.join(tests, sql` AND `)})`
}

function compareOccurrence(value: Sql, test: OccurrenceTest, options: CompileOptions): Sql {
  if (test.type === 'number') return compareNumber(value, test, options)
  const threshold = numberParam(options.now - test.durationMs, options)
  return test.op === 'within_last' ? sql`${value} >= ${threshold}` : sql`${value} < ${threshold}`
}

/** A property test on ev.properties, typed like a trait test: NULL (so false) for another JSON type. */
function compileProperty({ path, test }: PropertyFilter, options: CompileOptions): Sql {
  const json = options.dialect.json
  const properties = sql`ev.properties`
  switch (test.type) {
    case 'exists': {
      const value = json.present(properties, path)
      return test.value ? sql`${value} IS NOT NULL` : sql`${value} IS NULL`
    }
    case 'boolean':
      return json.isBoolean(properties, path, (test.op === 'eq') === test.value)
    case 'text':
      return compareText(fold(json.text(properties, path), options), test, options)
    case 'number':
      return compareNumber(json.number(properties, path), test, options)
  }
}

/** The leaf's comparison; may be NULL when the value is missing, which isTrue() turns into false. */
function compileField({ ref, test }: FieldCondition, options: CompileOptions): Sql {
  switch (test.type) {
    case 'exists': {
      const value = presenceValue(ref, options)
      return test.value ? sql`${value} IS NOT NULL` : sql`${value} IS NULL`
    }
    case 'boolean':
      return booleanTest(ref, test, options)
    case 'text':
      return compareText(textValue(ref, options), test, options)
    case 'number':
      return compareNumber(numberValue(ref, options), test, options)
    case 'relative_time': {
      const threshold = numberParam(options.now - test.durationMs, options)
      const value = numberValue(ref, options)
      return test.op === 'within_last' ? sql`${value} >= ${threshold}` : sql`${value} < ${threshold}`
    }
  }
}

function compareText(value: Sql, test: Extract<FieldTest, { type: 'text' }>, options: CompileOptions): Sql {
  const params = test.values.map((text) => textParam(text, options))
  const [first] = params
  switch (test.op) {
    case 'eq':
      return sql`${value} = ${first}`
    case 'neq':
      return sql`${value} <> ${first}`
    case 'in':
      return sql`${value} IN (${sql.join(params)})`
    case 'not_in':
      return sql`${value} NOT IN (${sql.join(params)})`
    case 'contains':
    case 'starts_with':
      return matchText(test.op, value, test.values[0] ?? '', options)
  }
}

function compareNumber(value: Sql, test: { op: Extract<FieldTest, { type: 'number' }>['op']; values: readonly number[] }, options: CompileOptions): Sql {
  const params = test.values.map((number) => numberParam(number, options))
  const [first, second] = params
  switch (test.op) {
    case 'eq':
      return sql`${value} = ${first}`
    case 'neq':
      return sql`${value} <> ${first}`
    case 'in':
      return sql`${value} IN (${sql.join(params)})`
    case 'not_in':
      return sql`${value} NOT IN (${sql.join(params)})`
    case 'gt':
      return sql`${value} > ${first}`
    case 'gte':
      return sql`${value} >= ${first}`
    case 'lt':
      return sql`${value} < ${first}`
    case 'lte':
      return sql`${value} <= ${first}`
    case 'between':
      return sql`(${value} >= ${first} AND ${value} <= ${second})`
  }
}

/** `value` is already case-folded; `pattern` was folded by the parser. */
function matchText(op: 'eq' | 'contains' | 'starts_with', value: Sql, pattern: string, options: CompileOptions): Sql {
  const param = textParam(pattern, options)
  if (op === 'eq') return sql`${value} = ${param}`
  // instr/strpos rather than LIKE: no wildcard characters to escape in the user's text.
  if (op === 'contains') return options.dialect.contains(value, param)
  return sql`substr(${value}, 1, length(${param})) = ${param}`
}

function booleanTest(ref: FieldRef, test: Extract<FieldTest, { type: 'boolean' }>, options: CompileOptions): Sql {
  // Only traits hold booleans. "neq true" means "is the boolean false": other types count as missing.
  const wanted = test.op === 'eq' ? test.value : !test.value
  if (ref.kind !== 'trait') return sql`NULL`
  return options.dialect.json.isBoolean(TRAITS, [ref.key], wanted)
}

/** Not NULL exactly when evaluate() sees a value that is neither null nor absent. */
function presenceValue(ref: FieldRef, options: CompileOptions): Sql {
  if (ref.kind !== 'trait') return column(ref, options)
  return options.dialect.json.present(TRAITS, [ref.key])
}

/** Case-folded text, or NULL when the value is missing or (for a trait) not a JSON string. */
function textValue(ref: FieldRef, options: CompileOptions): Sql {
  if (ref.kind !== 'trait') return fold(column(ref, options), options)
  return fold(options.dialect.json.text(TRAITS, [ref.key]), options)
}

/** A number, or NULL when the value is missing, not money (income) or not a JSON number (trait). */
function numberValue(ref: FieldRef, options: CompileOptions): Sql {
  switch (ref.kind) {
    case 'age':
    case 'time':
      return column(ref, options)
    case 'income': {
      // Money compares its derived amount (parseMoney of the text), stored with the profile on every write.
      const spec = requireField(ref.column ?? 'income', options)
      return sql.ref(`profiles.${spec.derived?.column ?? spec.column}`)
    }
    case 'trait':
      return options.dialect.json.number(TRAITS, [ref.key])
    case 'text':
      return sql`NULL`
  }
}

/** A field's spec in the table the condition was parsed with; email and times are not in it. */
function requireField(name: string, options: CompileOptions): ProfileFieldSpec {
  const spec = fieldSpec(name, options.fields)
  if (!spec) throw new Error(`condition names "${name}", which the field table does not have`)
  return spec
}

function column(ref: Exclude<FieldRef, { kind: 'trait' }>, options: CompileOptions): Sql {
  switch (ref.kind) {
    case 'text':
      // email is the profile's own column, not a field of the table.
      return sql.ref(`profiles.${ref.column === 'email' ? 'email' : requireField(ref.column, options).column}`)
    case 'time':
      return sql.ref(`profiles.${ref.column}`)
    case 'age':
      return sql.ref(`profiles.${requireField(ref.column ?? 'age', options).column}`)
    case 'income':
      return sql.ref(`profiles.${requireField(ref.column ?? 'income', options).column}`)
  }
}

/** ASCII-only folding on both engines, like foldCase(). */
function fold(value: Sql, options: CompileOptions): Sql {
  return options.dialect.fold(value)
}

function isTrue(condition: Sql): Sql<SqlBool> {
  return sql<SqlBool>`((${condition}) IS TRUE)`
}

function textParam(value: string, options: CompileOptions): Sql {
  return options.dialect.param(value, 'text')
}

function numberParam(value: number, options: CompileOptions): Sql {
  return options.dialect.param(value, 'double')
}

function integerParam(value: number, options: CompileOptions): Sql {
  return options.dialect.param(value, 'bigint')
}
