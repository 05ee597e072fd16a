// The segment language as the audience builder edits it (docs/segments.md). The definition JSON itself
// is the editor's state: the visual editor reads a node's kind from its keys and writes a changed copy
// at a path, so the JSON view and the visual view cannot drift apart, and keys the visual editor does
// not show (an event's `first` / `last`) survive an edit elsewhere.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type Node = { [key: string]: Json }
/** Where a node sits: the keys and indexes from the root (`['all', 2, 'not']`). */
export type Path = ReadonlyArray<string | number>

export type NodeKind = 'all' | 'any' | 'not' | 'field' | 'trait' | 'interest' | 'cohort' | 'segment' | 'event' | 'consent' | 'unknown'

/** Kinds the "add" menu offers, with the label a marketer reads. */
export const LEAF_KINDS: ReadonlyArray<{ kind: NodeKind; label: string }> = [
  { kind: 'field', label: 'Profile field' },
  { kind: 'trait', label: 'Custom trait' },
  { kind: 'interest', label: 'Interest' },
  { kind: 'cohort', label: 'Cohort' },
  { kind: 'event', label: 'Event' },
  { kind: 'consent', label: 'Consent' },
  { kind: 'segment', label: 'Other segment' },
]

export const TEXT_FIELDS = ['email', 'phone', 'city', 'state', 'country', 'country_code', 'gender', 'education']
export const NUMBER_FIELDS = ['age', 'income']
export const TIME_FIELDS = ['first_seen', 'last_seen']
export const FIELDS = [...TEXT_FIELDS, ...NUMBER_FIELDS, ...TIME_FIELDS]
export const DEFAULT_CONSENT_PURPOSES = ['analytics', 'marketing_email', 'advertising', 'personalization']
export const WINDOW_UNITS = ['days', 'hours', 'minutes'] as const

const ALL_TYPES = ['eq', 'neq', 'in', 'not_in', 'exists']
/** Operators by what they compare; the order is the menu's. */
export function fieldOperators(field: string): string[] {
  if (NUMBER_FIELDS.includes(field)) return [...ALL_TYPES, 'gt', 'gte', 'lt', 'lte', 'between']
  if (TIME_FIELDS.includes(field)) return ['within_last', 'before_last', 'gt', 'gte', 'lt', 'lte', 'between', 'exists']
  if (field.startsWith('trait.')) return [...ALL_TYPES, 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'starts_with']
  return [...ALL_TYPES, 'contains', 'starts_with']
}
export const PROPERTY_OPERATORS = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'starts_with', 'exists']
export const INTEREST_OPERATORS = ['eq', 'contains', 'starts_with']
export const COUNT_OPERATORS = ['gte', 'gt', 'eq', 'neq', 'lt', 'lte', 'between']

export const OPERATOR_LABELS: Record<string, string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is one of',
  not_in: 'is none of',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  between: 'between',
  contains: 'contains',
  starts_with: 'starts with',
  exists: 'exists',
  within_last: 'within the last',
  before_last: 'before the last',
}

export function isNode(value: Json | undefined): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function nodeKind(node: Node): NodeKind {
  if (Array.isArray(node.all)) return 'all'
  if (Array.isArray(node.any)) return 'any'
  if ('not' in node) return 'not'
  if (typeof node.field === 'string') return node.field.startsWith('trait.') ? 'trait' : 'field'
  if ('interest' in node) return 'interest'
  if ('cohort' in node) return 'cohort'
  if ('segment' in node) return 'segment'
  if ('event' in node) return 'event'
  if ('consent' in node) return 'consent'
  return 'unknown'
}

/** A new leaf of a kind, filled with a valid default so the preview can count it at once. */
export function newLeaf(kind: NodeKind, context: { cohorts: readonly string[]; segments: readonly string[] }): Node {
  switch (kind) {
    case 'all':
      return { all: [] }
    case 'any':
      return { any: [] }
    case 'not':
      return { not: { all: [] } }
    case 'field':
      return { field: 'age', op: 'gte', value: 18 }
    case 'trait':
      return { field: 'trait.plan', op: 'eq', value: 'pro' }
    case 'interest':
      return { interest: 'contains', value: 'shoe' }
    case 'cohort':
      return { cohort: context.cohorts[0] ?? 'Sports' }
    case 'segment':
      return { segment: context.segments[0] ?? '' }
    case 'event':
      return { event: 'Page Viewed', within_last: { days: 30 } }
    case 'consent':
      return { consent: DEFAULT_CONSENT_PURPOSES[1] ?? 'marketing_email', granted: true }
    default:
      return {}
  }
}

/** The value at a path, or undefined when the path leads nowhere. */
export function getAt(root: Json, path: Path): Json | undefined {
  let here: Json | undefined = root
  for (const step of path) {
    if (Array.isArray(here) && typeof step === 'number') here = here[step]
    else if (isNode(here) && typeof step === 'string') here = here[step]
    else return undefined
  }
  return here
}

/** A copy of `root` with the value at `path` replaced; `undefined` removes it (an array item, or a key). */
export function setAt(root: Json, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value ?? {}
  const [step, ...rest] = path
  if (Array.isArray(root) && typeof step === 'number') {
    const copy = [...root]
    if (rest.length === 0 && value === undefined) copy.splice(step, 1)
    else copy[step] = setAt(root[step] ?? {}, rest, value)
    return copy
  }
  const node: Node = isNode(root) ? { ...root } : {}
  const key = String(step)
  if (rest.length === 0 && value === undefined) delete node[key]
  else node[key] = setAt(node[key] ?? (typeof rest[0] === 'number' ? [] : {}), rest, value)
  return node
}

/** Moves an item of the array at `listPath` by `delta` places (up is -1). */
export function moveAt(root: Json, listPath: Path, index: number, delta: number): Json {
  const list = getAt(root, listPath)
  if (!Array.isArray(list)) return root
  const to = index + delta
  if (to < 0 || to >= list.length) return root
  const copy = [...list]
  const [item] = copy.splice(index, 1)
  if (item === undefined) return root
  copy.splice(to, 0, item)
  return setAt(root, listPath, copy)
}

/** Counts the leaves, for the editor's summary line. */
export function countLeaves(node: Json | undefined): number {
  if (!isNode(node)) return 0
  const kind = nodeKind(node)
  if (kind === 'all' || kind === 'any') return (node[kind] as Json[]).reduce<number>((sum, child) => sum + countLeaves(child), 0)
  if (kind === 'not') return countLeaves(node.not)
  return 1
}

/** Reads a value typed in a box as the JSON the language expects: a number where one is meant, else text. */
export function parseTyped(text: string, type: ValueType): Json {
  if (type === 'number') {
    const n = Number(text)
    return text.trim() !== '' && Number.isFinite(n) ? n : text
  }
  if (type === 'boolean') return text === 'true'
  return text
}

export type ValueType = 'text' | 'number' | 'boolean'

export function valueType(value: Json | undefined): ValueType {
  if (typeof value === 'number') return 'number'
  if (typeof value === 'boolean') return 'boolean'
  if (Array.isArray(value) && value.length > 0) return valueType(value[0])
  return 'text'
}

/** The default value an operator needs, keeping what was there when it still fits. */
export function valueForOperator(op: string, previous: Json | undefined, type: ValueType): Json {
  const scalar = Array.isArray(previous) ? previous[0] : isNode(previous) ? undefined : previous
  const fallback: Json = type === 'number' ? 0 : type === 'boolean' ? true : ''
  if (op === 'exists') return typeof previous === 'boolean' ? previous : true
  if (op === 'within_last' || op === 'before_last') return isNode(previous) ? previous : { days: 30 }
  if (op === 'between') return Array.isArray(previous) && previous.length === 2 ? previous : [scalar ?? fallback, scalar ?? fallback]
  if (op === 'in' || op === 'not_in') return Array.isArray(previous) ? previous : [scalar ?? fallback]
  return scalar ?? fallback
}

/** A short text for a node, read aloud by screen readers and shown in collapsed rows. */
export function describe(node: Json | undefined): string {
  if (!isNode(node)) return '?'
  const kind = nodeKind(node)
  const show = (v: Json | undefined) => (v === undefined ? '' : JSON.stringify(v))
  switch (kind) {
    case 'all':
    case 'any': {
      const children = node[kind] as Json[]
      return children.length === 0 ? `(${kind} of nothing)` : `(${children.map(describe).join(kind === 'all' ? ' AND ' : ' OR ')})`
    }
    case 'not':
      return `NOT ${describe(node.not)}`
    case 'field':
    case 'trait':
      return `${String(node.field)} ${OPERATOR_LABELS[String(node.op)] ?? String(node.op)} ${show(node.value)}`
    case 'interest':
      return `interest ${OPERATOR_LABELS[String(node.interest)] ?? String(node.interest)} ${show(node.value)}`
    case 'cohort':
      return `cohort ${String(node.cohort)}${typeof node.min_score === 'number' ? ` (score ≥ ${node.min_score})` : ''}`
    case 'segment':
      return `in segment ${String(node.segment)}`
    case 'event':
      return `event ${show(node.event)}`
    case 'consent':
      return `consent ${String(node.consent)} ${node.granted === false ? 'not granted' : 'granted'}`
    default:
      return JSON.stringify(node)
  }
}
