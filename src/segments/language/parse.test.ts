import { describe, expect, it } from 'vitest'
import {
  type Condition,
  eventNeeds,
  parseSegmentDefinition,
  type ParseError,
  referencedCohorts,
  referencedEvents,
  referencedSegments,
  usesRelativeTime,
} from './parse.ts'

function parsed(input: unknown): Condition {
  const result = parseSegmentDefinition(input)
  if (result.kind === 'rejected') throw new Error(`expected a valid definition, got ${JSON.stringify(result.detail)}`)
  return result.value
}

function errorsOf(input: unknown): ParseError[] {
  const result = parseSegmentDefinition(input)
  if (result.kind === 'ok') throw new Error('expected errors')
  expect(result.reason).toBe('invalid_definition')
  return result.detail
}

const OPERATOR_LIST = 'eq, neq, in, not_in, gt, gte, lt, lte, between, contains, starts_with, exists, within_last, before_last'

describe('parseSegmentDefinition: valid definitions', () => {
  it('normalizes text comparisons to lower case', () => {
    expect(parsed({ field: 'city', op: 'eq', value: 'PARIS' })).toEqual({
      kind: 'field',
      field: 'city',
      ref: { kind: 'text', column: 'city' },
      test: { type: 'text', op: 'eq', values: ['paris'] },
    })
    expect(parsed({ field: 'email', op: 'in', value: ['A@x.io', 'b@x.io'] })).toMatchObject({ test: { type: 'text', op: 'in', values: ['a@x.io', 'b@x.io'] } })
  })

  it.each([
    [{ field: 'city', op: 'neq', value: 'Rome' }, { type: 'text', op: 'neq', values: ['rome'] }],
    [{ field: 'city', op: 'not_in', value: ['Rome'] }, { type: 'text', op: 'not_in', values: ['rome'] }],
    [{ field: 'email', op: 'contains', value: '@Gmail' }, { type: 'text', op: 'contains', values: ['@gmail'] }],
    [{ field: 'phone', op: 'starts_with', value: '+33' }, { type: 'text', op: 'starts_with', values: ['+33'] }],
    [{ field: 'gender', op: 'exists', value: false }, { type: 'exists', value: false }],
    [{ field: 'age', op: 'eq', value: 30 }, { type: 'number', op: 'eq', values: [30] }],
    [{ field: 'age', op: 'in', value: [30, 31] }, { type: 'number', op: 'in', values: [30, 31] }],
    [{ field: 'age', op: 'gt', value: 17 }, { type: 'number', op: 'gt', values: [17] }],
    [{ field: 'age', op: 'gte', value: 18 }, { type: 'number', op: 'gte', values: [18] }],
    [{ field: 'age', op: 'lt', value: 65 }, { type: 'number', op: 'lt', values: [65] }],
    [{ field: 'age', op: 'lte', value: 64 }, { type: 'number', op: 'lte', values: [64] }],
    [{ field: 'age', op: 'between', value: [25, 34] }, { type: 'number', op: 'between', values: [25, 34] }],
    [{ field: 'income', op: 'gte', value: '$100k' }, { type: 'number', op: 'gte', values: [100_000] }],
    [{ field: 'income', op: 'between', value: ['50,000', '1.5m'] }, { type: 'number', op: 'between', values: [50_000, 1_500_000] }],
    [{ field: 'income', op: 'eq', value: 100000 }, { type: 'number', op: 'eq', values: [100_000] }],
    [{ field: 'income', op: 'eq', value: '$100K' }, { type: 'text', op: 'eq', values: ['$100k'] }],
    [{ field: 'last_seen', op: 'gt', value: '2024-01-15T10:30:00Z' }, { type: 'number', op: 'gt', values: [Date.UTC(2024, 0, 15, 10, 30)] }],
    [{ field: 'first_seen', op: 'lt', value: '2024-01-15' }, { type: 'number', op: 'lt', values: [Date.UTC(2024, 0, 15)] }],
    [{ field: 'first_seen', op: 'between', value: [0, 1000] }, { type: 'number', op: 'between', values: [0, 1000] }],
    [
      { field: 'last_seen', op: 'within_last', value: { days: 30 } },
      { type: 'relative_time', op: 'within_last', amount: 30, unit: 'days', durationMs: 30 * 86_400_000 },
    ],
    [
      { field: 'last_seen', op: 'before_last', value: { hours: 2 } },
      { type: 'relative_time', op: 'before_last', amount: 2, unit: 'hours', durationMs: 7_200_000 },
    ],
    [{ field: 'trait.plan', op: 'eq', value: 'Pro' }, { type: 'text', op: 'eq', values: ['pro'] }],
    [{ field: 'trait.seats', op: 'gte', value: 5 }, { type: 'number', op: 'gte', values: [5] }],
    [{ field: 'trait.vip', op: 'eq', value: true }, { type: 'boolean', op: 'eq', value: true }],
  ])('parses %j', (input, test) => {
    expect(parsed(input)).toMatchObject({ kind: 'field', test })
  })

  it('reads everything after "trait." as one key of the flat traits object', () => {
    expect(parsed({ field: 'trait.location.floor', op: 'exists', value: true })).toMatchObject({ ref: { kind: 'trait', key: 'location.floor' } })
  })

  it('parses interests, cohorts and segments', () => {
    expect(parsed({ interest: 'contains', value: 'Shoe' })).toEqual({ kind: 'interest', op: 'contains', value: 'shoe' })
    expect(parsed({ cohort: 'Sports' })).toEqual({ kind: 'cohort', name: 'Sports', nameKey: 'sports', minScore: null })
    expect(parsed({ cohort: 'Sports', min_score: 0.5 })).toMatchObject({ nameKey: 'sports', minScore: 0.5 })
    expect(parsed({ segment: 'seg_abc' })).toEqual({ kind: 'segment', segmentId: 'seg_abc' })
  })

  it('parses nested all/any/not', () => {
    const condition = parsed({
      all: [{ field: 'age', op: 'gte', value: 18 }, { any: [{ cohort: 'Sports' }, { not: { segment: 'seg_x' } }] }],
    })
    expect(condition).toMatchObject({
      kind: 'all',
      children: [{ kind: 'field' }, { kind: 'any', children: [{ kind: 'cohort' }, { kind: 'not', child: { kind: 'segment' } }] }],
    })
  })

  it('lists referenced segments and cohorts and spots relative time', () => {
    const condition = parsed({
      any: [{ segment: 'seg_a' }, { not: { segment: 'seg_b' } }, { segment: 'seg_a' }, { cohort: 'SPORTS' }, { field: 'last_seen', op: 'within_last', value: { days: 7 } }],
    })
    expect(referencedSegments(condition)).toEqual(['seg_a', 'seg_b'])
    expect(referencedCohorts(condition)).toEqual(['sports'])
    expect(usesRelativeTime(condition)).toBe(true)
    expect(usesRelativeTime(parsed({ field: 'last_seen', op: 'gt', value: 0 }))).toBe(false)
  })
})

describe('parseSegmentDefinition: event conditions', () => {
  it('parses a windowed count with property filters', () => {
    expect(
      parsed({ event: 'Product Viewed', where: [{ property: 'Category', op: 'eq', value: 'Shoes' }, { property: 'product.price', op: 'gte', value: 50 }], within_last: { days: 7 }, count: { op: 'gte', value: 3 } }),
    ).toEqual({
      kind: 'event',
      name: 'Product Viewed',
      where: [
        { property: 'Category', path: ['Category'], test: { type: 'text', op: 'eq', values: ['shoes'] } },
        { property: 'product.price', path: ['product', 'price'], test: { type: 'number', op: 'gte', values: [50] } },
      ],
      window: { amount: 7, unit: 'days', durationMs: 7 * 86_400_000 },
      count: { type: 'number', op: 'gte', values: [3] },
      first: null,
      last: null,
    })
  })

  it('parses at-least-once, absence, and first/last times', () => {
    expect(parsed({ event: 'Add to Cart', within_last: { hours: 24 } })).toMatchObject({ window: { durationMs: 86_400_000 }, count: null })
    expect(parsed({ event: 'Order Completed', count: { op: 'eq', value: 0 } })).toMatchObject({ window: null, count: { op: 'eq', values: [0] } })
    expect(parsed({ event: 'Order Completed', first: { op: 'before_last', value: { days: 30 } } })).toMatchObject({
      first: { type: 'relative_time', op: 'before_last', durationMs: 30 * 86_400_000 },
      last: null,
    })
    expect(parsed({ event: 'Viewed', first: { op: 'gt', value: '2026-01-01' }, last: { op: 'between', value: [0, 10] } })).toMatchObject({
      first: { type: 'number', op: 'gt', values: [Date.UTC(2026, 0, 1)] },
      last: { type: 'number', op: 'between', values: [0, 10] },
    })
    expect(parsed({ event: 'Viewed', count: { op: 'between', value: [0, 2] } })).toMatchObject({ count: { op: 'between', values: [0, 2] } })
  })

  it('is time-relative with a window or a relative first/last, and says which occurrences it needs', () => {
    expect(usesRelativeTime(parsed({ event: 'A', within_last: { minutes: 5 } }))).toBe(true)
    expect(usesRelativeTime(parsed({ event: 'A', last: { op: 'within_last', value: { days: 1 } } }))).toBe(true)
    expect(usesRelativeTime(parsed({ event: 'A', count: { op: 'gte', value: 2 } }))).toBe(false)
    expect(usesRelativeTime(parsed({ event: 'A', first: { op: 'lt', value: 5 } }))).toBe(false)
    const conditions = [
      parsed({ all: [{ event: 'A', within_last: { days: 1 } }, { not: { event: 'A', within_last: { days: 7 } } }, { event: 'B', last: { op: 'gt', value: 0 } }] }),
      parsed({ any: [{ event: 'C', where: [{ property: 'x', op: 'exists', value: true }], first: { op: 'gt', value: 0 } }, { event: 'D', count: { op: 'gte', value: 1 } }] }),
    ]
    expect(referencedEvents(conditions[0] as Condition)).toEqual(['A', 'B'])
    expect(Object.fromEntries(eventNeeds(conditions))).toEqual({
      A: { allTime: false, windowMs: 7 * 86_400_000, edges: false },
      B: { allTime: false, windowMs: 0, edges: true },
      C: { allTime: true, windowMs: 0, edges: false },
      D: { allTime: true, windowMs: 0, edges: false },
    })
  })

  it.each<[string, unknown, ParseError[]]>([
    ['a missing event name', { event: '', within_last: { days: 1 } }, [{ path: 'conditions.event', message: 'expected an event name like "Order Completed" (got "")' }]],
    ['an event name that is not text', { event: 3 }, [{ path: 'conditions.event', message: 'expected an event name like "Order Completed" (got 3)' }]],
    [
      'an unknown key',
      { event: 'A', within: { days: 1 } },
      [{ path: 'conditions.within', message: 'unknown key "within" (expected event, where, within_last, count, first, last)' }],
    ],
    [
      'a zero window',
      { all: [{ segment: 's' }, { event: 'A', within_last: { days: 0 } }] },
      [{ path: 'conditions.all[1].within_last', message: 'within_last needs { days | hours | minutes: positive number } (got {"days":0})' }],
    ],
    ['a negative window', { event: 'A', within_last: { hours: -2 } }, [{ path: 'conditions.within_last', message: 'within_last needs { days | hours | minutes: positive number } (got {"hours":-2})' }]],
    ['a window in weeks', { event: 'A', within_last: { weeks: 1 } }, [{ path: 'conditions.within_last', message: 'within_last needs { days | hours | minutes: positive number } (got {"weeks":1})' }]],
    [
      'an unknown count operator',
      { all: [{ segment: 's' }, { event: 'A', count: { op: 'atleast', value: 3 } }] },
      [{ path: 'conditions.all[1].count.op', message: 'unknown operator "atleast" (expected one of eq, neq, gt, gte, lt, lte, between)' }],
    ],
    [
      'a count operator that does not apply',
      { event: 'A', count: { op: 'contains', value: 3 } },
      [{ path: 'conditions.count.op', message: 'operator "contains" does not apply to a count (expected one of eq, neq, gt, gte, lt, lte, between)' }],
    ],
    ['a count without an operator', { event: 'A', count: { value: 3 } }, [{ path: 'conditions.count.op', message: 'is required (expected one of eq, neq, gt, gte, lt, lte, between)' }]],
    ['a count without a value', { event: 'A', count: { op: 'gte' } }, [{ path: 'conditions.count.value', message: 'is required' }]],
    ['a negative count', { event: 'A', count: { op: 'gte', value: -1 } }, [{ path: 'conditions.count.value', message: 'gte needs a whole number of times, 0 or more (got -1)' }]],
    ['a fractional count', { event: 'A', count: { op: 'eq', value: 1.5 } }, [{ path: 'conditions.count.value', message: 'eq needs a whole number of times, 0 or more (got 1.5)' }]],
    ['a count that is a number', { event: 'A', count: 3 }, [{ path: 'conditions.count', message: 'expected {"op": "gte", "value": 3} (got 3)' }]],
    ['a count with an unknown key', { event: 'A', count: { op: 'eq', value: 1, within: 2 } }, [{ path: 'conditions.count.within', message: 'unknown key "within" (expected op, value)' }]],
    ['a reversed count range', { event: 'A', count: { op: 'between', value: [3, 1] } }, [{ path: 'conditions.count.value', message: 'between needs [low, high] with low <= high (got [3,1])' }]],
    ['a bad count bound', { event: 'A', count: { op: 'between', value: [1, 'x'] } }, [{ path: 'conditions.count.value[1]', message: 'between needs a whole number of times, 0 or more (got "x")' }]],
    [
      'count with first',
      { event: 'A', count: { op: 'gte', value: 1 }, first: { op: 'before_last', value: { days: 1 } } },
      [{ path: 'conditions.count', message: 'cannot be combined with "first": count occurrences in one condition and test their time in another, inside "all"' }],
    ],
    [
      'a window with last',
      { event: 'A', within_last: { days: 7 }, last: { op: 'within_last', value: { days: 1 } } },
      [{ path: 'conditions.within_last', message: 'cannot be combined with "last", which look at every occurrence: write "last": {"op": "within_last", "value": …} instead' }],
    ],
    [
      'a first test that is not an object',
      { event: 'A', first: 'yesterday' },
      [{ path: 'conditions.first', message: 'expected {"op": "within_last", "value": {"days": 3}} or another time test (got "yesterday")' }],
    ],
    [
      'a first operator that does not apply',
      { event: 'A', first: { op: 'eq', value: 0 } },
      [{ path: 'conditions.first.op', message: 'operator "eq" does not apply to the first occurrence (expected one of gt, gte, lt, lte, between, within_last, before_last)' }],
    ],
    [
      'a last time that is not a time',
      { event: 'A', last: { op: 'gt', value: 'yesterday' } },
      [{ path: 'conditions.last.value', message: 'gt on "last" needs epoch milliseconds or an ISO 8601 date like "2024-01-15T10:30:00Z" (got "yesterday")' }],
    ],
    [
      'a last window that is not positive',
      { event: 'A', last: { op: 'within_last', value: { days: -3 } } },
      [{ path: 'conditions.last.value', message: 'within_last needs { days | hours | minutes: positive number } (got {"days":-3})' }],
    ],
    [
      'where that is not an array',
      { event: 'A', where: { property: 'x', op: 'eq', value: 1 } },
      [{ path: 'conditions.where', message: 'expected an array of property tests like {"property": "category", "op": "eq", "value": "shoes"} (got {"property":"x","op":"eq","value":1})' }],
    ],
    ['an empty where', { event: 'A', where: [] }, [{ path: 'conditions.where', message: 'must not be empty' }]],
    [
      'a property test that is not an object',
      { event: 'A', where: ['x'] },
      [{ path: 'conditions.where[0]', message: 'expected a property test like {"property": "category", "op": "eq", "value": "shoes"} (got "x")' }],
    ],
    [
      'a missing property name',
      { event: 'A', where: [{ op: 'eq', value: 1 }] },
      [{ path: 'conditions.where[0].property', message: 'expected a property name like "category" or "product.category" (got nothing)' }],
    ],
    [
      'a property path with an empty part',
      { event: 'A', where: [{ property: 'product..id', op: 'exists', value: true }] },
      [{ path: 'conditions.where[0].property', message: 'expected a property name like "category" or "product.category" (got "product..id")' }],
    ],
    [
      'a property name with a quote',
      { event: 'A', where: [{ property: 'a"b', op: 'exists', value: true }] },
      [{ path: 'conditions.where[0].property', message: 'expected a property name like "category" or "product.category" (got "a\\"b")' }],
    ],
    [
      'an unknown property operator',
      { event: 'A', where: [{ property: 'x', op: 'like', value: 'a' }] },
      [{ path: 'conditions.where[0].op', message: 'unknown operator "like" (expected one of eq, neq, in, not_in, gt, gte, lt, lte, between, contains, starts_with, exists)' }],
    ],
    [
      'a relative operator on a property',
      { event: 'A', where: [{ property: 'x', op: 'within_last', value: { days: 1 } }] },
      [{ path: 'conditions.where[0].op', message: 'operator "within_last" does not apply to event properties (expected one of eq, neq, in, not_in, gt, gte, lt, lte, between, contains, starts_with, exists)' }],
    ],
    ['a property test without a value', { event: 'A', where: [{ property: 'x', op: 'eq' }] }, [{ path: 'conditions.where[0].value', message: 'is required' }]],
    [
      'a property test with a bad value',
      { event: 'A', where: [{ property: 'x', op: 'eq', value: 'a' }, { property: 'price', op: 'gt', value: '5' }] },
      [{ path: 'conditions.where[1].value', message: 'gt on "price" needs a number (got "5")' }],
    ],
    [
      'a property test with an unknown key',
      { event: 'A', where: [{ property: 'x', op: 'eq', value: 'a', field: 'y' }] },
      [{ path: 'conditions.where[0].field', message: 'unknown key "field" (expected property, op, value)' }],
    ],
    [
      'too many property tests',
      { event: 'A', where: Array.from({ length: 21 }, () => ({ property: 'x', op: 'exists', value: true })) },
      [{ path: 'conditions.where', message: 'has 21 property tests; at most 20 are allowed' }],
    ],
  ])('reports %s', (_name, input, errors) => {
    expect(errorsOf(input)).toEqual(errors)
  })

  it('reports every problem of one event condition', () => {
    const errors = errorsOf({ event: null, within_last: {}, count: { op: 'gte', value: -1 } })
    expect(errors.map((error) => error.path)).toEqual(['conditions.event', 'conditions.within_last', 'conditions.count.value'])
  })

  it('counts property tests towards the 200-condition limit', () => {
    const filters = Array.from({ length: 20 }, () => ({ property: 'x', op: 'exists', value: true }))
    const leaves = Array.from({ length: 10 }, () => ({ event: 'A', where: filters }))
    expect(errorsOf({ any: leaves })).toEqual([{ path: 'conditions', message: 'has 210 conditions; at most 200 are allowed' }])
  })
})

describe('parseSegmentDefinition: errors name the exact place', () => {
  it.each<[string, unknown, ParseError[]]>([
    [
      'unknown operator',
      { all: [{ segment: 's' }, { segment: 't' }, { field: 'age', op: 'gte ', value: 1 }] },
      [{ path: 'conditions.all[2].op', message: `unknown operator "gte " (expected one of ${OPERATOR_LIST})` }],
    ],
    ['missing operator', { field: 'age', value: 1 }, [{ path: 'conditions.op', message: `is required (expected one of ${OPERATOR_LIST})` }]],
    [
      'unknown field',
      { field: 'agee', op: 'eq', value: 1 },
      [
        {
          path: 'conditions.field',
          message: 'unknown field "agee" (expected one of email, phone, city, state, country, country_code, gender, education, age, income, first_seen, last_seen, or trait.<name>)',
        },
      ],
    ],
    [
      'operator that does not fit the field',
      { field: 'city', op: 'gt', value: 'a' },
      [{ path: 'conditions.op', message: 'operator "gt" does not apply to text field "city" (expected one of eq, neq, in, not_in, contains, starts_with, exists)' }],
    ],
    [
      'relative time on a non-time field',
      { field: 'age', op: 'within_last', value: { days: 1 } },
      [{ path: 'conditions.op', message: 'operator "within_last" does not apply to number field "age" (expected one of eq, neq, in, not_in, gt, gte, lt, lte, between, exists)' }],
    ],
    ['unknown key', { field: 'age', op: 'eq', value: 1, colour: 'red' }, [{ path: 'conditions.colour', message: 'unknown key "colour" (expected field, op, value)' }]],
    ['missing value', { field: 'age', op: 'eq' }, [{ path: 'conditions.value', message: 'is required' }]],
    ['in with an empty array', { field: 'city', op: 'in', value: [] }, [{ path: 'conditions.value', message: 'in needs a non-empty array (got [])' }]],
    ['not_in with a scalar', { field: 'city', op: 'not_in', value: 'x' }, [{ path: 'conditions.value', message: 'not_in needs a non-empty array (got "x")' }]],
    ['in with a bad element', { field: 'age', op: 'in', value: [1, 'x'] }, [{ path: 'conditions.value[1]', message: 'in on "age" needs a number (got "x")' }]],
    [
      'in with mixed types',
      { field: 'trait.plan', op: 'in', value: ['a', 1] },
      [{ path: 'conditions.value', message: 'in needs values of one type (got text and number values)' }],
    ],
    ['between reversed', { field: 'age', op: 'between', value: [34, 25] }, [{ path: 'conditions.value', message: 'between needs [low, high] with low <= high (got [34,25])' }]],
    ['between with one bound', { field: 'age', op: 'between', value: [25] }, [{ path: 'conditions.value', message: 'between needs [low, high] (got [25])' }]],
    ['between with a bad bound', { field: 'age', op: 'between', value: [25, '34'] }, [{ path: 'conditions.value[1]', message: 'between on "age" needs a number (got "34")' }]],
    ['exists without a boolean', { field: 'email', op: 'exists', value: 'yes' }, [{ path: 'conditions.value', message: 'exists needs true or false (got "yes")' }]],
    ['numeric op on age with text', { field: 'age', op: 'gt', value: '30' }, [{ path: 'conditions.value', message: 'gt on "age" needs a number (got "30")' }]],
    [
      'income that is not money',
      { field: 'income', op: 'gte', value: 'lots' },
      [{ path: 'conditions.value', message: 'gte on "income" needs a number or an amount like "$100k" (got "lots")' }],
    ],
    [
      'time that is not ISO',
      { field: 'last_seen', op: 'gt', value: 'yesterday' },
      [{ path: 'conditions.value', message: 'gt on "last_seen" needs epoch milliseconds or an ISO 8601 date like "2024-01-15T10:30:00Z" (got "yesterday")' }],
    ],
    [
      'within_last with a bad duration',
      { field: 'last_seen', op: 'within_last', value: { weeks: 2 } },
      [{ path: 'conditions.value', message: 'within_last needs { days | hours | minutes: positive number } (got {"weeks":2})' }],
    ],
    [
      'before_last with a negative duration',
      { field: 'last_seen', op: 'before_last', value: { days: -1 } },
      [{ path: 'conditions.value', message: 'before_last needs { days | hours | minutes: positive number } (got {"days":-1})' }],
    ],
    ['contains with an empty string', { field: 'city', op: 'contains', value: '' }, [{ path: 'conditions.value', message: 'contains on "city" needs a non-empty string (got "")' }]],
    ['empty all', { all: [] }, [{ path: 'conditions.all', message: 'must not be empty' }]],
    ['empty any', { not: { any: [] } }, [{ path: 'conditions.not.any', message: 'must not be empty' }]],
    ['all that is not an array', { all: {} }, [{ path: 'conditions.all', message: 'expected an array of conditions (got {})' }]],
    [
      'more than one of all/any/not',
      { all: [{ any: [{ segment: 's' }], not: { segment: 's' } }] },
      [{ path: 'conditions.all[0]', message: 'has more than one of any, not; combine them inside "all" or "any"' }],
    ],
    [
      'a node of no known kind',
      { op: 'eq' },
      [{ path: 'conditions', message: 'expected one of all, any, not, field, interest, cohort, segment, event, consent (got keys "op")' }],
    ],
    ['a node that is not an object', { any: [42] }, [{ path: 'conditions.any[0]', message: 'expected an object with one of all, any, not, field, interest, cohort, segment, event, consent (got 42)' }]],
    ['bad interest operator', { interest: 'like', value: 'x' }, [{ path: 'conditions.interest', message: 'unknown interest operator "like" (expected one of eq, contains, starts_with)' }]],
    ['bad interest value', { interest: 'eq', value: 3 }, [{ path: 'conditions.value', message: 'needs a non-empty string (got 3)' }]],
    ['bad cohort', { cohort: '', min_score: 'high' }, [
      { path: 'conditions.cohort', message: 'expected a cohort name (got "")' },
      { path: 'conditions.min_score', message: 'needs a number (got "high")' },
    ]],
    ['bad segment', { segment: 7 }, [{ path: 'conditions.segment', message: 'expected a segment id (got 7)' }]],
    ['a consent without a purpose', { consent: '  ' }, [{ path: 'conditions.consent', message: 'expected a consent purpose such as "marketing_email" (got "  ")' }]],
    ['a consent granted that is not a boolean', { consent: 'analytics', granted: 'yes' }, [{ path: 'conditions.granted', message: 'expected true (granted now) or false (withdrawn or never given) (got "yes")' }]],
  ])('reports %s', (_name, input, errors) => {
    expect(errorsOf(input)).toEqual(errors)
  })

  it('collects every error, not just the first', () => {
    const errors = errorsOf({
      all: [{ field: 'age', op: 'gte ', value: 1 }, { field: 'nope', op: 'eq', value: 1 }, { any: [] }, { field: 'city', op: 'in', value: [] }],
    })
    expect(errors.map((error) => error.path)).toEqual(['conditions.all[0].op', 'conditions.all[1].field', 'conditions.all[2].any', 'conditions.all[3].value'])
  })

  it('refuses nesting deeper than 10 levels', () => {
    let node: unknown = { segment: 's' }
    for (let level = 0; level < 10; level++) node = { not: node }
    expect(errorsOf(node)).toEqual([{ path: `conditions${'.not'.repeat(10)}`, message: 'nested deeper than 10 levels' }])
    expect(parseSegmentDefinition((node as { not: unknown }).not).kind).toBe('ok')
  })

  it('refuses more than 200 conditions', () => {
    const leaves = Array.from({ length: 201 }, () => ({ segment: 's' }))
    expect(errorsOf({ any: leaves })).toEqual([{ path: 'conditions', message: 'has 201 conditions; at most 200 are allowed' }])
    expect(parseSegmentDefinition({ any: leaves.slice(1) }).kind).toBe('ok')
  })
})

describe('consent conditions', () => {
  it('read the purpose as config names it, granted by default', () => {
    expect(parseSegmentDefinition({ consent: 'Marketing Email' })).toEqual({ kind: 'ok', value: { kind: 'consent', purpose: 'marketing_email', granted: true } })
    expect(parseSegmentDefinition({ consent: 'analytics', granted: false })).toEqual({ kind: 'ok', value: { kind: 'consent', purpose: 'analytics', granted: false } })
  })
})
