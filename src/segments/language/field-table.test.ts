// The segment language follows the field table: a field added to the table is a field conditions can
// name, compared by its segment kind, with no change to the parser or the evaluator.
import { describe, expect, it } from 'vitest'
import { conditionFields } from '../../domain/condition.ts'
import { PROFILE_FIELDS, type ProfileFieldTable } from '../../domain/profile-fields.ts'
import type { SegmentProfile } from '../../domain/segment-view.ts'
import { toSegmentProfile } from '../engine.ts'
import { evaluate } from './evaluate.ts'
import { type Condition, parseSegmentDefinition, type ParseError } from './parse.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)

const FIXTURE: ProfileFieldTable = {
  ...PROFILE_FIELDS,
  loyalty_tier: { type: 'text', column: 'loyalty_tier', group: null, segment: 'text', api: 'demographics', description: 'loyalty programme tier' },
  lifetime_orders: { type: 'integer', column: 'lifetime_orders', group: null, segment: 'number', api: 'demographics', description: 'orders ever placed' },
  internal_note: { type: 'text', column: 'internal_note', group: null, segment: null, api: 'demographics', description: 'not for segments' },
}

function parsedWith(table: ProfileFieldTable, definition: unknown): Condition {
  const result = parseSegmentDefinition(definition, table)
  if (result.kind === 'rejected') throw new Error(`expected a valid definition, got ${JSON.stringify(result.detail)}`)
  return result.value
}

function errorsWith(table: ProfileFieldTable, definition: unknown): ParseError[] {
  const result = parseSegmentDefinition(definition, table)
  if (result.kind === 'ok') throw new Error('expected errors')
  return result.detail
}

function view(fields: Record<string, string | number>): SegmentProfile {
  const profile = {
    id: 'prof_1',
    email: 'ann@example.com',
    fields,
    traits: {},
    firstSeen: NOW - 1000,
    lastSeen: NOW,
    interests: new Map<string, number>(),
    consent: {},
  }
  return toSegmentProfile(profile as unknown as Parameters<typeof toSegmentProfile>[0], { cohorts: new Map(), segments: new Set<string>() }, FIXTURE)
}

describe('a field added to the field table', () => {
  const gold = view({ loyalty_tier: 'Gold', lifetime_orders: 12, city: 'Paris' })
  const bronze = view({ loyalty_tier: 'Bronze', lifetime_orders: 2 })
  const unknown = view({ city: 'Paris' })

  it('is a text field of the language when the table compares it as text', () => {
    const condition = parsedWith(FIXTURE, { field: 'loyalty_tier', op: 'in', value: ['GOLD', 'platinum'] })
    expect(condition).toEqual({ kind: 'field', field: 'loyalty_tier', ref: { kind: 'text', column: 'loyalty_tier' }, test: { type: 'text', op: 'in', values: ['gold', 'platinum'] } })
    expect([gold, bronze, unknown].map((p) => evaluate(condition, p, { now: NOW }))).toEqual([true, false, false])
    expect(evaluate(parsedWith(FIXTURE, { field: 'loyalty_tier', op: 'starts_with', value: 'br' }), bronze, { now: NOW })).toBe(true)
    expect(evaluate(parsedWith(FIXTURE, { field: 'loyalty_tier', op: 'exists', value: false }), unknown, { now: NOW })).toBe(true)
  })

  it('takes the text operators only', () => {
    expect(errorsWith(FIXTURE, { field: 'loyalty_tier', op: 'gt', value: 3 })).toEqual([
      { path: 'conditions.op', message: 'operator "gt" does not apply to text field "loyalty_tier" (expected one of eq, neq, in, not_in, contains, starts_with, exists)' },
    ])
  })

  it('is a number field when the table compares it as a number', () => {
    const condition = parsedWith(FIXTURE, { all: [{ field: 'lifetime_orders', op: 'gte', value: 10 }, { field: 'city', op: 'eq', value: 'paris' }] })
    expect([gold, bronze, unknown].map((p) => evaluate(condition, p, { now: NOW }))).toEqual([true, false, false])
    const between = parsedWith(FIXTURE, { field: 'lifetime_orders', op: 'between', value: [1, 5] })
    expect([gold, bronze, unknown].map((p) => evaluate(between, p, { now: NOW }))).toEqual([false, true, false])
    expect(errorsWith(FIXTURE, { field: 'lifetime_orders', op: 'eq', value: 'ten' })).toEqual([{ path: 'conditions.value', message: 'eq on "lifetime_orders" needs a number (got "ten")' }])
  })

  it('keeps age read as before next to it', () => {
    const condition = parsedWith(FIXTURE, { field: 'age', op: 'gte', value: 18 })
    expect(condition).toMatchObject({ ref: { kind: 'age' } })
    expect(evaluate(condition, view({ age: 30, lifetime_orders: 1 }), { now: NOW })).toBe(true)
    expect(evaluate(condition, view({ lifetime_orders: 30 }), { now: NOW })).toBe(false)
  })

  it('is listed among the fields, and unknown to a table without it', () => {
    expect(conditionFields(FIXTURE)).toEqual([
      'email', 'phone', 'city', 'state', 'country', 'country_code', 'gender', 'education', 'loyalty_tier', 'age', 'lifetime_orders', 'income', 'first_seen', 'last_seen',
    ])
    const [error] = errorsWith(PROFILE_FIELDS, { field: 'loyalty_tier', op: 'eq', value: 'gold' })
    expect(error?.message).toBe(
      'unknown field "loyalty_tier" (expected one of email, phone, city, state, country, country_code, gender, education, age, income, first_seen, last_seen, or trait.<name>)',
    )
  })

  it('cannot be named when the table gives it no segment kind', () => {
    expect(errorsWith(FIXTURE, { field: 'internal_note', op: 'eq', value: 'x' })[0]?.path).toBe('conditions.field')
    expect(errorsWith(FIXTURE, { field: 'constructor', op: 'eq', value: 'x' })[0]?.path).toBe('conditions.field')
  })
})
