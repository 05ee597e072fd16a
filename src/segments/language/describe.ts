// Human-readable text for one condition node, as shown in explanations ("age between 25 and 34").
import type { Condition, FieldCondition, FieldRef } from './condition.ts'

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
  }
}

function describeField({ field, ref, test }: FieldCondition): string {
  switch (test.type) {
    case 'exists':
      return `${field} ${test.value ? 'is set' : 'is not set'}`
    case 'boolean':
      return `${field} ${test.op === 'eq' ? 'is' : 'is not'} ${test.value}`
    case 'relative_time': {
      const span = `${test.amount} ${test.amount === 1 ? test.unit.slice(0, -1) : test.unit}`
      return test.op === 'within_last' ? `${field} within the last ${span}` : `${field} more than ${span} ago`
    }
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
