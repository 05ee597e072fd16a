import { describe, expect, it } from 'vitest'
import { evaluate, explain, nextTimeChange } from './evaluate.ts'
import { compileCondition } from './compile.ts'
import { type Condition, parseSegmentDefinition } from './parse.ts'
import type { EventOccurrence, SegmentProfile } from '../../domain/segment-view.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const DAY = 86_400_000

function aProfile(overrides: Partial<SegmentProfile> = {}): SegmentProfile {
  return {
    id: 'prof_1',
    email: 'Ann@Example.com',
    phone: '+33612345678',
    city: 'Paris',
    state: null,
    country: 'France',
    country_code: 'FR',
    age: 30,
    gender: 'female',
    income: '$100k',
    education: 'Master',
    traits: { plan: 'Pro', seats: 5, vip: true, nothing: null, 'location.floor': 3 },
    first_seen: NOW - 100 * DAY,
    last_seen: NOW - 10 * DAY,
    interests: ['Running Shoes', 'Tennis'],
    cohorts: new Map([['sports', 0.7]]),
    consent: { marketing_email: true, analytics: false },
    segments: new Set(['seg_abc']),
    events: new Map(),
    ...overrides,
  }
}

function condition(definition: unknown): Condition {
  const result = parseSegmentDefinition(definition)
  if (result.kind === 'rejected') throw new Error(JSON.stringify(result.detail))
  return result.value
}

/** The interpreter's verdict, which the compiled closure ingest uses must repeat on every case. */
function holds(definition: unknown, profile = aProfile(), now = NOW): boolean {
  const parsed = condition(definition)
  const verdict = evaluate(parsed, profile, { now })
  expect(compileCondition(parsed)(profile, now)).toBe(verdict)
  return verdict
}

describe('evaluate: field operators', () => {
  it.each<[unknown, boolean]>([
    [{ field: 'city', op: 'eq', value: 'PARIS' }, true],
    [{ field: 'city', op: 'eq', value: 'Rome' }, false],
    [{ field: 'city', op: 'neq', value: 'Rome' }, true],
    [{ field: 'city', op: 'neq', value: 'paris' }, false],
    [{ field: 'country_code', op: 'in', value: ['de', 'fr'] }, true],
    [{ field: 'country_code', op: 'in', value: ['de'] }, false],
    [{ field: 'country_code', op: 'not_in', value: ['de'] }, true],
    [{ field: 'country_code', op: 'not_in', value: ['FR'] }, false],
    [{ field: 'email', op: 'contains', value: '@EXAMPLE' }, true],
    [{ field: 'email', op: 'contains', value: 'gmail' }, false],
    [{ field: 'phone', op: 'starts_with', value: '+33' }, true],
    [{ field: 'phone', op: 'starts_with', value: '33' }, false],
    [{ field: 'education', op: 'exists', value: true }, true],
    [{ field: 'education', op: 'exists', value: false }, false],
    [{ field: 'age', op: 'eq', value: 30 }, true],
    [{ field: 'age', op: 'neq', value: 30 }, false],
    [{ field: 'age', op: 'gt', value: 30 }, false],
    [{ field: 'age', op: 'gte', value: 30 }, true],
    [{ field: 'age', op: 'lt', value: 31 }, true],
    [{ field: 'age', op: 'lte', value: 29 }, false],
    [{ field: 'age', op: 'between', value: [25, 34] }, true],
    [{ field: 'age', op: 'between', value: [31, 34] }, false],
    [{ field: 'age', op: 'in', value: [29, 30] }, true],
    [{ field: 'age', op: 'not_in', value: [29, 30] }, false],
    [{ field: 'income', op: 'gte', value: 100000 }, true],
    [{ field: 'income', op: 'gt', value: '$100k' }, false],
    [{ field: 'income', op: 'between', value: ['50,000', '0.1m'] }, true],
    [{ field: 'income', op: 'eq', value: 100000 }, true],
    [{ field: 'income', op: 'eq', value: '$100K' }, true],
    [{ field: 'income', op: 'contains', value: '100' }, true],
    [{ field: 'trait.plan', op: 'eq', value: 'PRO' }, true],
    [{ field: 'trait.plan', op: 'starts_with', value: 'pr' }, true],
    [{ field: 'trait.seats', op: 'gte', value: 5 }, true],
    [{ field: 'trait.seats', op: 'eq', value: '5' }, false],
    [{ field: 'trait.vip', op: 'eq', value: true }, true],
    [{ field: 'trait.vip', op: 'neq', value: true }, false],
    [{ field: 'trait.location.floor', op: 'lt', value: 4 }, true],
    [{ field: 'trait.nothing', op: 'exists', value: false }, true],
    [{ field: 'trait.missing', op: 'exists', value: false }, true],
    [{ field: 'trait.constructor', op: 'exists', value: true }, false],
    [{ field: 'first_seen', op: 'lt', value: '2026-09-01' }, true],
    [{ field: 'first_seen', op: 'lt', value: '2026-01-01' }, false],
    [{ field: 'last_seen', op: 'gt', value: NOW - 11 * DAY }, true],
    [{ field: 'last_seen', op: 'between', value: [NOW - 11 * DAY, NOW] }, true],
  ])('%j is %s', (definition, expected) => {
    expect(holds(definition)).toBe(expected)
  })
})

describe('evaluate: missing values', () => {
  const blank = aProfile({ city: null, age: null, income: null, traits: {} })

  it('fails every comparison on a missing field, neq and not_in included', () => {
    for (const definition of [
      { field: 'city', op: 'eq', value: 'paris' },
      { field: 'city', op: 'neq', value: 'paris' },
      { field: 'city', op: 'not_in', value: ['paris'] },
      { field: 'city', op: 'contains', value: 'a' },
      { field: 'age', op: 'neq', value: 30 },
      { field: 'age', op: 'lt', value: 200 },
      { field: 'income', op: 'gte', value: 0 },
      { field: 'trait.plan', op: 'neq', value: 'free' },
      { field: 'trait.vip', op: 'neq', value: true },
    ]) {
      expect(holds(definition, blank), JSON.stringify(definition)).toBe(false)
    }
  })

  it('holds exists:false only', () => {
    expect(holds({ field: 'city', op: 'exists', value: false }, blank)).toBe(true)
    expect(holds({ field: 'city', op: 'exists', value: true }, blank)).toBe(false)
  })

  it('lets not include profiles without the field, unlike neq', () => {
    expect(holds({ not: { field: 'city', op: 'eq', value: 'paris' } }, blank)).toBe(true)
  })

  it('treats income that is not money as missing for numeric tests, but still as text', () => {
    const vague = aProfile({ income: 'about 100k' })
    expect(holds({ field: 'income', op: 'gte', value: 0 }, vague)).toBe(false)
    expect(holds({ field: 'income', op: 'neq', value: 5 }, vague)).toBe(false)
    expect(holds({ field: 'income', op: 'contains', value: 'about' }, vague)).toBe(true)
  })

  it('treats a trait of another JSON type as missing', () => {
    expect(holds({ field: 'trait.seats', op: 'neq', value: 'five' })).toBe(false)
    expect(holds({ field: 'trait.plan', op: 'gt', value: 0 })).toBe(false)
  })
})

describe('evaluate: interests, cohorts, segments and combinators', () => {
  it.each<[unknown, boolean]>([
    [{ interest: 'contains', value: 'SHOE' }, true],
    [{ interest: 'eq', value: 'tennis' }, true],
    [{ interest: 'eq', value: 'shoe' }, false],
    [{ interest: 'starts_with', value: 'running' }, true],
    [{ interest: 'starts_with', value: 'shoes' }, false],
    [{ cohort: 'SPORTS' }, true],
    [{ cohort: 'Sports', min_score: 0.7 }, true],
    [{ cohort: 'Sports', min_score: 0.8 }, false],
    [{ cohort: 'Music' }, false],
    [{ segment: 'seg_abc' }, true],
    [{ segment: 'seg_other' }, false],
    [{ all: [{ segment: 'seg_abc' }, { cohort: 'sports' }] }, true],
    [{ all: [{ segment: 'seg_abc' }, { cohort: 'music' }] }, false],
    [{ any: [{ segment: 'seg_other' }, { cohort: 'sports' }] }, true],
    [{ any: [{ segment: 'seg_other' }, { cohort: 'music' }] }, false],
    [{ not: { segment: 'seg_abc' } }, false],
    [{ not: { not: { segment: 'seg_abc' } } }, true],
  ])('%j is %s', (definition, expected) => {
    expect(holds(definition)).toBe(expected)
  })
})

describe('evaluate: relative dates', () => {
  const seenTenDaysAgo = aProfile({ last_seen: NOW - 10 * DAY })

  it('counts within_last from now, boundary included', () => {
    expect(holds({ field: 'last_seen', op: 'within_last', value: { days: 10 } }, seenTenDaysAgo)).toBe(true)
    expect(holds({ field: 'last_seen', op: 'within_last', value: { days: 9 } }, seenTenDaysAgo)).toBe(false)
    expect(holds({ field: 'last_seen', op: 'within_last', value: { hours: 240 } }, seenTenDaysAgo)).toBe(true)
    expect(holds({ field: 'last_seen', op: 'within_last', value: { minutes: 14_399 } }, seenTenDaysAgo)).toBe(false)
  })

  it('makes before_last the exact complement of within_last', () => {
    expect(holds({ field: 'last_seen', op: 'before_last', value: { days: 10 } }, seenTenDaysAgo)).toBe(false)
    expect(holds({ field: 'last_seen', op: 'before_last', value: { days: 9 } }, seenTenDaysAgo)).toBe(true)
  })
})

describe('nextTimeChange', () => {
  const profile = aProfile({ last_seen: NOW - 10 * DAY, first_seen: NOW - 100 * DAY })

  it('is the first millisecond after a within_last window closes', () => {
    const recent = condition({ field: 'last_seen', op: 'within_last', value: { days: 30 } })
    const flip = nextTimeChange(recent, profile, NOW)
    expect(flip).toBe(NOW + 20 * DAY + 1)
    expect(evaluate(recent, profile, { now: (flip ?? 0) - 1 })).toBe(true)
    expect(evaluate(recent, profile, { now: flip ?? 0 })).toBe(false)
  })

  it('is when before_last starts to hold', () => {
    expect(nextTimeChange(condition({ field: 'last_seen', op: 'before_last', value: { days: 30 } }), profile, NOW)).toBe(NOW + 20 * DAY + 1)
  })

  it('is null once a window has passed, or without relative dates', () => {
    expect(nextTimeChange(condition({ field: 'last_seen', op: 'within_last', value: { days: 5 } }), profile, NOW)).toBeNull()
    expect(nextTimeChange(condition({ field: 'age', op: 'gt', value: 1 }), profile, NOW)).toBeNull()
  })

  it('skips flips that cannot change the verdict', () => {
    // The last_seen leaf flips in 5 days but sits under a failing segment check, so the verdict
    // first changes in 20 days, when first_seen leaves its 120-day window.
    const masked = condition({
      any: [
        { all: [{ segment: 'seg_other' }, { field: 'last_seen', op: 'within_last', value: { days: 15 } }] },
        { field: 'first_seen', op: 'within_last', value: { days: 120 } },
      ],
    })
    expect(nextTimeChange(masked, profile, NOW)).toBe(NOW + 20 * DAY + 1)
    const neverFlips = condition({ all: [{ segment: 'seg_other' }, { field: 'last_seen', op: 'within_last', value: { days: 15 } }] })
    expect(nextTimeChange(neverFlips, profile, NOW)).toBeNull()
  })
})

describe('explain', () => {
  it('describes each node with its path, verdict and the value it saw', () => {
    const tree = explain(
      condition({ all: [{ field: 'age', op: 'between', value: [25, 34] }, { not: { cohort: 'Sports', min_score: 0.5 } }] }),
      aProfile(),
      { now: NOW },
    )
    expect(tree).toEqual({
      path: 'conditions',
      description: 'all of 2 conditions',
      held: false,
      children: [
        { path: 'conditions.all[0]', description: 'age between 25 and 34', held: true, actual: 30 },
        {
          path: 'conditions.all[1]',
          description: 'not',
          held: false,
          children: [{ path: 'conditions.all[1].not', description: 'in cohort "Sports" with score at least 0.5', held: true, actual: 0.7 }],
        },
      ],
    })
  })

  it.each<[unknown, string]>([
    [{ field: 'city', op: 'in', value: ['Paris', 'Rome'] }, 'city is one of "paris", "rome"'],
    [{ field: 'email', op: 'exists', value: false }, 'email is not set'],
    [{ field: 'last_seen', op: 'within_last', value: { days: 1 } }, 'last_seen within the last 1 day'],
    [{ field: 'last_seen', op: 'before_last', value: { hours: 3 } }, 'last_seen more than 3 hours ago'],
    [{ field: 'first_seen', op: 'gt', value: '2024-01-15' }, 'first_seen greater than 2024-01-15T00:00:00.000Z'],
    [{ field: 'trait.vip', op: 'eq', value: true }, 'trait.vip is true'],
    [{ interest: 'contains', value: 'Shoe' }, 'has an interest containing "shoe"'],
    [{ segment: 'seg_abc' }, 'in segment "seg_abc"'],
  ])('describes %j as %s', (definition, description) => {
    expect(explain(condition(definition), aProfile(), { now: NOW }).description).toBe(description)
  })

  it('reports null for a missing field value', () => {
    expect(explain(condition({ field: 'state', op: 'eq', value: 'x' }), aProfile(), { now: NOW })).toMatchObject({ held: false, actual: null })
  })
})

const HOUR = 3_600_000

/** A profile whose events happened this long before NOW (ms), oldest first as storage returns them. */
function withEvents(events: Record<string, Array<[agoMs: number, properties?: Record<string, unknown>]>>): SegmentProfile {
  const map = new Map<string, EventOccurrence[]>()
  for (const [name, list] of Object.entries(events)) {
    map.set(name, list.map(([ago, properties = {}]) => ({ at: NOW - ago, properties })).sort((a, b) => a.at - b.at))
  }
  return aProfile({ events: map })
}

describe('evaluate: event conditions', () => {
  const shopper = withEvents({
    'Product Viewed': [
      [1 * DAY, { category: 'Shoes', price: 80, product: { brand: 'Nike' } }],
      [2 * DAY, { category: 'shoes', price: '80' }],
      [3 * DAY, { category: 'SHOES', price: 120.5, sale: true }],
      [10 * DAY, { category: 'Hats', price: null }],
    ],
    'Add to Cart': [[2 * HOUR]],
    'Order Completed': [[40 * DAY, { revenue: 99 }]],
  })

  it.each<[unknown, boolean]>([
    [{ event: 'Product Viewed' }, true],
    [{ event: 'product viewed' }, false],
    [{ event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'gte', value: 3 } }, true],
    [{ event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'gte', value: 4 } }, false],
    [{ event: 'Product Viewed', count: { op: 'eq', value: 4 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'eq', value: 'shoes' }], within_last: { days: 7 }, count: { op: 'gte', value: 3 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'neq', value: 'shoes' }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'in', value: ['hats', 'bags'] }] }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'not_in', value: ['shoes'] }], within_last: { days: 7 } }, false],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'starts_with', value: 'SH' }], count: { op: 'eq', value: 3 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'contains', value: 'oe' }], count: { op: 'eq', value: 3 } }, true],
    // Numbers compare with JSON numbers only: the string "80" is not 80, and null is missing.
    [{ event: 'Product Viewed', where: [{ property: 'price', op: 'eq', value: 80 }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'price', op: 'eq', value: '80' }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'price', op: 'gt', value: 100 }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'price', op: 'lte', value: 1000 }], count: { op: 'eq', value: 2 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'price', op: 'between', value: [80, 121] }], count: { op: 'eq', value: 2 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'price', op: 'exists', value: false }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'sale', op: 'eq', value: true }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'sale', op: 'neq', value: true }] }, false],
    [{ event: 'Product Viewed', where: [{ property: 'product.brand', op: 'eq', value: 'nike' }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category.name', op: 'exists', value: true }] }, false],
    [{ event: 'Product Viewed', where: [{ property: 'constructor', op: 'exists', value: true }] }, false],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'eq', value: 'shoes' }, { property: 'price', op: 'gte', value: 100 }], count: { op: 'eq', value: 1 } }, true],
    [{ event: 'Add to Cart', within_last: { hours: 24 } }, true],
    [{ event: 'Add to Cart', within_last: { minutes: 119 } }, false],
    [{ event: 'Add to Cart', within_last: { minutes: 120 } }, true],
    [{ event: 'Order Completed', within_last: { days: 7 }, count: { op: 'eq', value: 0 } }, true],
    [{ not: { event: 'Order Completed', within_last: { days: 7 } } }, true],
    [{ event: 'Order Completed', count: { op: 'between', value: [1, 2] } }, true],
    [{ event: 'Order Completed', count: { op: 'neq', value: 1 } }, false],
    [{ event: 'Order Completed', count: { op: 'lt', value: 1 } }, false],
    [{ event: 'Order Completed', first: { op: 'before_last', value: { days: 30 } } }, true],
    [{ event: 'Order Completed', last: { op: 'within_last', value: { days: 30 } } }, false],
    [{ event: 'Product Viewed', last: { op: 'within_last', value: { days: 3 } } }, true],
    [{ event: 'Product Viewed', first: { op: 'before_last', value: { days: 9 } }, last: { op: 'within_last', value: { days: 2 } } }, true],
    [{ event: 'Product Viewed', where: [{ property: 'category', op: 'eq', value: 'shoes' }], first: { op: 'before_last', value: { days: 9 } } }, false],
    [{ event: 'Product Viewed', first: { op: 'lt', value: NOW - 5 * DAY } }, true],
    [{ event: 'Product Viewed', last: { op: 'between', value: ['2026-11-21', '2026-11-22'] } }, true],
    // Never happened: no count is "at least once", first/last are missing, a zero count holds.
    [{ event: 'Signed Up' }, false],
    [{ event: 'Signed Up', first: { op: 'before_last', value: { days: 1 } } }, false],
    [{ event: 'Signed Up', last: { op: 'within_last', value: { days: 1 } } }, false],
    [{ event: 'Signed Up', count: { op: 'eq', value: 0 } }, true],
    [{ event: 'Signed Up', count: { op: 'lte', value: 2 } }, true],
  ])('%j is %s', (definition, expected) => {
    expect(holds(definition, shopper)).toBe(expected)
  })

  it('counts an occurrence exactly at the window start, and any in the future', () => {
    const edge = withEvents({ 'Add to Cart': [[DAY], [-HOUR]] })
    expect(holds({ event: 'Add to Cart', within_last: { days: 1 }, count: { op: 'eq', value: 2 } }, edge)).toBe(true)
    expect(holds({ event: 'Add to Cart', within_last: { hours: 23 }, count: { op: 'eq', value: 1 } }, edge)).toBe(true)
  })
})

describe('nextTimeChange: event conditions', () => {
  it('lets a cart abandoner leave the moment the Add to Cart is 24 hours old', () => {
    const abandoner = withEvents({ 'Add to Cart': [[5 * HOUR]] })
    const segment = condition({
      all: [{ event: 'Add to Cart', within_last: { hours: 24 } }, { not: { event: 'Order Completed', within_last: { hours: 24 } } }],
    })
    const leaves = NOW + 19 * HOUR + 1
    expect(nextTimeChange(segment, abandoner, NOW)).toBe(leaves)
    expect(evaluate(segment, abandoner, { now: leaves - 1 })).toBe(true)
    expect(evaluate(segment, abandoner, { now: leaves })).toBe(false)
  })

  it('lets "at least 3 in 7 days" members leave when the third-newest occurrence ages out', () => {
    const browser = withEvents({ 'Product Viewed': [[1 * DAY], [2 * DAY], [3 * DAY], [4 * DAY], [20 * DAY]] })
    const threeViews = condition({ event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'gte', value: 3 } })
    expect(nextTimeChange(threeViews, browser, NOW)).toBe(NOW + 4 * DAY + 1)
  })

  it('finds every flip of a non-monotone count test, in order', () => {
    const browser = withEvents({ 'Product Viewed': [[1 * DAY], [2 * DAY], [2 * DAY], [3 * DAY]] })
    const exactlyTwo = condition({ event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'eq', value: 2 } })
    // The count goes 4 → 3 → 1 → 0 (the two views of 2 days ago leave together): never exactly 2.
    expect(nextTimeChange(exactlyTwo, browser, NOW)).toBeNull()
    const exactlyThree = condition({ event: 'Product Viewed', within_last: { days: 7 }, count: { op: 'eq', value: 3 } })
    expect(nextTimeChange(exactlyThree, browser, NOW)).toBe(NOW + 4 * DAY + 1)
    expect(nextTimeChange(exactlyThree, browser, NOW + 4 * DAY + 1)).toBe(NOW + 5 * DAY + 1)
  })

  it('is when absence starts to hold, and ignores occurrences that do not match the filters', () => {
    const buyer = withEvents({ 'Order Completed': [[2 * DAY, { revenue: 10 }], [1 * DAY, { revenue: 500 }]] })
    const noBigOrder = condition({ event: 'Order Completed', where: [{ property: 'revenue', op: 'gte', value: 100 }], within_last: { days: 7 }, count: { op: 'eq', value: 0 } })
    expect(nextTimeChange(noBigOrder, buyer, NOW)).toBe(NOW + 6 * DAY + 1)
  })

  it('is when the first or last occurrence crosses its relative bound', () => {
    const customer = withEvents({ 'Order Completed': [[20 * DAY], [2 * DAY]] })
    expect(nextTimeChange(condition({ event: 'Order Completed', first: { op: 'before_last', value: { days: 30 } } }), customer, NOW)).toBe(NOW + 10 * DAY + 1)
    expect(nextTimeChange(condition({ event: 'Order Completed', last: { op: 'within_last', value: { days: 3 } } }), customer, NOW)).toBe(NOW + 1 * DAY + 1)
    expect(nextTimeChange(condition({ event: 'Order Completed', last: { op: 'gt', value: 0 } }), customer, NOW)).toBeNull()
  })

  it('is null for counts over all time, and when nothing is in the window', () => {
    const customer = withEvents({ 'Order Completed': [[20 * DAY]] })
    expect(nextTimeChange(condition({ event: 'Order Completed', count: { op: 'gte', value: 1 } }), customer, NOW)).toBeNull()
    expect(nextTimeChange(condition({ event: 'Order Completed', within_last: { days: 7 } }), customer, NOW)).toBeNull()
  })
})

describe('explain: event conditions', () => {
  const shopper = withEvents({ 'Product Viewed': [[3 * DAY, { category: 'shoes' }], [1 * DAY, { category: 'shoes' }], [20 * DAY, { category: 'shoes' }]] })

  it('shows the count and the first and last matching occurrence in the window', () => {
    const tree = explain(
      condition({ event: 'Product Viewed', where: [{ property: 'category', op: 'eq', value: 'Shoes' }], within_last: { days: 7 }, count: { op: 'gte', value: 3 } }),
      shopper,
      { now: NOW },
    )
    expect(tree).toEqual({
      path: 'conditions',
      description: 'event "Product Viewed" where category is "shoes", at least 3 times in the last 7 days',
      held: false,
      actual: { count: 2, first: new Date(NOW - 3 * DAY).toISOString(), last: new Date(NOW - DAY).toISOString() },
    })
  })

  it('shows first and last times for a timing test, null when it never happened', () => {
    const tree = explain(condition({ event: 'Product Viewed', first: { op: 'before_last', value: { days: 30 } } }), shopper, { now: NOW })
    expect(tree).toMatchObject({ held: false, actual: { first: new Date(NOW - 20 * DAY).toISOString(), last: new Date(NOW - DAY).toISOString() } })
    const never = explain(condition({ event: 'Signed Up', last: { op: 'within_last', value: { days: 1 } } }), shopper, { now: NOW })
    expect(never).toMatchObject({ held: false, actual: { first: null, last: null } })
  })

  it.each<[unknown, string]>([
    [{ event: 'Add to Cart', within_last: { hours: 24 } }, 'event "Add to Cart", at least once in the last 24 hours'],
    [{ event: 'Order Completed', within_last: { days: 7 }, count: { op: 'eq', value: 0 } }, 'event "Order Completed", never in the last 7 days'],
    [{ event: 'Order Completed', count: { op: 'between', value: [2, 5] } }, 'event "Order Completed", between 2 and 5 times ever'],
    [{ event: 'Order Completed', count: { op: 'lt', value: 1 }, within_last: { minutes: 1 } }, 'event "Order Completed", fewer than 1 time in the last 1 minute'],
    [{ event: 'Order Completed', first: { op: 'before_last', value: { days: 30 } } }, 'event "Order Completed", first more than 30 days ago'],
    [
      { event: 'Product Viewed', where: [{ property: 'price', op: 'gt', value: 50 }, { property: 'sale', op: 'eq', value: true }], last: { op: 'gte', value: '2026-01-01' } },
      'event "Product Viewed" where price greater than 50 and sale is true, last at or after 2026-01-01T00:00:00.000Z',
    ],
  ])('describes %j as %s', (definition, description) => {
    expect(explain(condition(definition), aProfile(), { now: NOW }).description).toBe(description)
  })
})

describe('consent', () => {
  const condition = (definition: unknown): Condition => {
    const parsed = parseSegmentDefinition(definition)
    if (parsed.kind === 'rejected') throw new Error(JSON.stringify(parsed.detail))
    return parsed.value
  }
  it('holds when the latest statement grants the purpose', () => {
    expect(evaluate(condition({ consent: 'marketing_email' }), aProfile(), { now: NOW })).toBe(true)
    expect(evaluate(condition({ consent: 'analytics' }), aProfile(), { now: NOW })).toBe(false)
    expect(evaluate(condition({ consent: 'advertising' }), aProfile(), { now: NOW })).toBe(false)
  })
  it('granted false holds for withdrawn and never stated purposes alike', () => {
    expect(evaluate(condition({ consent: 'marketing_email', granted: false }), aProfile(), { now: NOW })).toBe(false)
    expect(evaluate(condition({ consent: 'analytics', granted: false }), aProfile(), { now: NOW })).toBe(true)
    expect(evaluate(condition({ consent: 'advertising', granted: false }), aProfile(), { now: NOW })).toBe(true)
  })
  it('explains with the latest statement, null when never stated', () => {
    expect(explain(condition({ consent: 'analytics' }), aProfile(), { now: NOW })).toMatchObject({ held: false, actual: false, description: 'consent to "analytics" granted' })
    expect(explain(condition({ consent: 'advertising', granted: false }), aProfile(), { now: NOW })).toMatchObject({ held: true, actual: null })
  })
})
