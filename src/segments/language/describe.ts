// Human-readable text for one condition node, as shown in explanations ("age between 25 and 34").
import type { Condition, CountTest, Duration, EventCondition, FieldCondition, FieldRef, OccurrenceTest } from '../../domain/condition.ts'

export function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'all':
      return `all of ${condition.children.length} conditions`
    case 'any':
      return `any of ${condition.children.length} conditions`
    case 'not':
      return 'not'
    case 'field':
      return describeField(condition)
    case 'interest': {
      const how = { eq: 'equal to', contains: 'containing', starts_with: 'starting with' }[condition.op]
      return `has an interest ${how} ${quote(condition.value)}`
    }
    case 'cohort':
      return condition.minScore === null
        ? `in cohort ${quote(condition.name)}`
        : `in cohort ${quote(condition.name)} with score at least ${condition.minScore}`
    case 'segment':
      return `in segment ${quote(condition.segmentId)}`
    case 'event':
      return describeEvent(condition)
    case 'consent':
      return condition.granted ? `consent to ${quote(condition.purpose)} granted` : `consent to ${quote(condition.purpose)} not granted (withdrawn or never given)`
  }
}

/** 'event "Product Viewed" where category is "shoes", at least 3 times in the last 7 days' */
function describeEvent(leaf: EventCondition): string {
  const filters = leaf.where.map(({ property, test }) => describeField({ kind: 'field', field: property, ref: { kind: 'trait', key: property }, test }))
  const subject = `event ${quote(leaf.name)}${filters.length > 0 ? ` where ${filters.join(' and ')}` : ''}`
  const timing = [
    leaf.first === null ? null : `first ${describeOccurrence(leaf.first)}`,
    leaf.last === null ? null : `last ${describeOccurrence(leaf.last)}`,
  ].filter((part) => part !== null)
  if (timing.length > 0) return `${subject}, ${timing.join(' and ')}`
  const times = leaf.count === null ? 'at least once' : describeCount(leaf.count)
  return `${subject}, ${times} ${leaf.window === null ? 'ever' : `in the last ${span(leaf.window)}`}`
}

function describeCount({ op, values }: CountTest): string {
  const [first = 0, second = 0] = values
  const times = (n: number) => (n === 1 ? '1 time' : `${n} times`)
  switch (op) {
    case 'eq':
      return first === 0 ? 'never' : `exactly ${times(first)}`
    case 'neq':
      return `other than ${times(first)}`
    case 'gt':
      return `more than ${times(first)}`
    case 'gte':
      return `at least ${times(first)}`
    case 'lt':
      return `fewer than ${times(first)}`
    case 'lte':
      return `at most ${times(first)}`
    case 'between':
      return `between ${first} and ${times(second)}`
  }
}

function describeOccurrence(test: OccurrenceTest): string {
  if (test.type === 'relative_time') return test.op === 'within_last' ? `within the last ${span(test)}` : `more than ${span(test)} ago`
  const [first = '', second = ''] = test.values.map((value) => formatNumber({ kind: 'time', column: 'first_seen' }, value))
  if (test.op === 'between') return `between ${first} and ${second}`
  return `${{ eq: 'at', neq: 'not at', in: 'at one of', not_in: 'at none of', gt: 'after', gte: 'at or after', lt: 'before', lte: 'at or before' }[test.op]} ${first}`
}

function span({ amount, unit }: Pick<Duration, 'amount' | 'unit'>): string {
  return `${amount} ${amount === 1 ? unit.slice(0, -1) : unit}`
}

function describeField({ field, ref, test }: FieldCondition): string {
  switch (test.type) {
    case 'exists':
      return `${field} ${test.value ? 'is set' : 'is not set'}`
    case 'boolean':
      return `${field} ${test.op === 'eq' ? 'is' : 'is not'} ${test.value}`
    case 'relative_time':
      return test.op === 'within_last' ? `${field} within the last ${span(test)}` : `${field} more than ${span(test)} ago`
    case 'text': {
      const values = test.values.map(quote)
      const phrase = {
        eq: 'is',
        neq: 'is not',
        in: 'is one of',
        not_in: 'is none of',
        contains: 'contains',
        starts_with: 'starts with',
      }[test.op]
      return `${field} ${phrase} ${values.join(', ')}`
    }
    case 'number': {
      const values = test.values.map((value) => formatNumber(ref, value))
      if (test.op === 'between') return `${field} between ${values[0]} and ${values[1]}`
      const phrase = {
        eq: 'is',
        neq: 'is not',
        in: 'is one of',
        not_in: 'is none of',
        gt: 'greater than',
        gte: 'at least',
        lt: 'less than',
        lte: 'at most',
      }[test.op]
      return `${field} ${phrase} ${values.join(', ')}`
    }
  }
}

function formatNumber(ref: FieldRef, value: number): string {
  if (ref.kind !== 'time') return String(value)
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString()
}

function quote(text: string): string {
  return JSON.stringify(text)
}
