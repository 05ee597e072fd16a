// The audience builder's pure pieces (web/src/pages/audiences): editing a definition at a path, reading
// a node's kind, the values an operator needs, and reading Server-Sent Events blocks.
import { describe, expect, it } from 'vitest'
import { countLeaves, describe as describeNode, getAt, type Json, moveAt, newLeaf, nodeKind, parseTyped, setAt, valueForOperator } from '../web/src/pages/audiences/definition.ts'
import { parseEventBlock } from '../web/src/pages/audiences/sse.ts'

const definition: Json = {
  all: [
    { field: 'age', op: 'between', value: [25, 44] },
    { not: { event: 'Order Completed', within_last: { hours: 24 }, first: { op: 'before_last', value: { days: 30 } } } },
    { any: [{ cohort: 'Sports' }, { interest: 'contains', value: 'shoe' }] },
  ],
}

describe('audience definition editing', () => {
  it('replaces a node at a path and leaves every other key as it was', () => {
    const next = setAt(definition, ['all', 1, 'not', 'within_last'], { days: 7 })
    expect(getAt(next, ['all', 1, 'not'])).toEqual({ event: 'Order Completed', within_last: { days: 7 }, first: { op: 'before_last', value: { days: 30 } } })
    expect(getAt(next, ['all', 0])).toBe(getAt(definition, ['all', 0]))
    expect(getAt(definition, ['all', 1, 'not', 'within_last'])).toEqual({ hours: 24 })
  })

  it('removes an array item or a key when the new value is undefined', () => {
    expect(getAt(setAt(definition, ['all', 2, 'any', 0], undefined), ['all', 2, 'any'])).toEqual([{ interest: 'contains', value: 'shoe' }])
    expect(getAt(setAt(definition, ['all', 1, 'not', 'first'], undefined), ['all', 1, 'not'])).toEqual({ event: 'Order Completed', within_last: { hours: 24 } })
  })

  it('moves an item within its group and refuses to move past either end', () => {
    const moved = moveAt(definition, ['all'], 0, 1)
    expect((getAt(moved, ['all']) as Json[]).map((n) => nodeKind(n as Record<string, Json>))).toEqual(['not', 'field', 'any'])
    expect(moveAt(definition, ['all'], 0, -1)).toBe(definition)
  })

  it('reads the kind of every node of the language', () => {
    const nodes: Array<Record<string, Json>> = [
      { all: [] },
      { any: [] },
      { not: {} },
      { field: 'age', op: 'gte', value: 1 },
      { field: 'trait.plan', op: 'eq', value: 'pro' },
      { interest: 'eq', value: 'x' },
      { cohort: 'Sports' },
      { segment: 'seg_1' },
      { event: 'Add to Cart' },
      { consent: 'analytics' },
      { mystery: 1 },
    ]
    const kinds = nodes.map(nodeKind)
    expect(kinds).toEqual(['all', 'any', 'not', 'field', 'trait', 'interest', 'cohort', 'segment', 'event', 'consent', 'unknown'])
    expect(countLeaves(definition)).toBe(4)
  })

  it('gives each operator a value of the shape it needs, keeping what still fits', () => {
    expect(valueForOperator('between', 30, 'number')).toEqual([30, 30])
    expect(valueForOperator('in', 'Paris', 'text')).toEqual(['Paris'])
    expect(valueForOperator('eq', [25, 44], 'number')).toBe(25)
    expect(valueForOperator('exists', 'x', 'text')).toBe(true)
    expect(valueForOperator('within_last', 3, 'number')).toEqual({ days: 30 })
    expect(parseTyped('42', 'number')).toBe(42)
    expect(parseTyped('4x', 'number')).toBe('4x')
    expect(parseTyped('true', 'boolean')).toBe(true)
  })

  it('makes new leaves that are valid definitions', () => {
    expect(newLeaf('cohort', { cohorts: ['Travel'], segments: [] })).toEqual({ cohort: 'Travel' })
    expect(newLeaf('consent', { cohorts: [], segments: [] })).toEqual({ consent: 'marketing_email', granted: true })
    expect(describeNode(definition)).toBe('(age between [25,44] AND NOT event "Order Completed" AND (cohort Sports OR interest contains "shoe"))')
  })
})

describe('server-sent events blocks', () => {
  it('reads id, event and data, skipping comments and retry lines', () => {
    expect(parseEventBlock(': changes of segment seg_1\nretry: 3000')).toBeUndefined()
    expect(parseEventBlock('id: MTI\nevent: entered\ndata: {"a":1}')).toEqual({ id: 'MTI', event: 'entered', data: '{"a":1}' })
    expect(parseEventBlock('data: one\ndata: two')).toEqual({ data: 'one\ntwo' })
  })
})
