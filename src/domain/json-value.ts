// Limits on JSON values that clients send. Every walk over client data is bounded by the depth check
// below, which itself walks without recursion: JSON.parse accepts millions of levels, but recursive
// code (JSON.stringify, canonical JSON, SQLite's JSON functions past 1,000) would overflow on them.
// Text is made storable the same way on both engines: PostgreSQL text and jsonb cannot hold NUL,
// and jsonb refuses a lone UTF-16 surrogate, so both become U+FFFD in structured data.

/** The deepest nesting accepted in a record, a message or a request body: `{"a":{"b":1}}` is 2. */
export const MAX_JSON_DEPTH = 64

const REPLACEMENT = '\uFFFD'
// NUL, or a UTF-16 surrogate without its other half (String.prototype.isWellFormed is not in ES2022).
// eslint-disable-next-line no-control-regex -- NUL is exactly what this finds
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g')
const PATH_SHOWN = 6

/**
 * Where `value` nests deeper than `maxDepth`, as a short path ("traits.a.b[0]…"); null when it does
 * not. Iterative, so any depth JSON.parse produced is safe to check.
 */
export function findTooDeep(value: unknown, maxDepth: number = MAX_JSON_DEPTH): string | null {
  if (!exceedsDepth(value, maxDepth)) return null
  // Rare: walk again, now keeping the path (its first few steps) to the first node too deep.
  const stack: Array<{ node: unknown; depth: number; path: readonly string[] }> = [{ node: value, depth: 1, path: [] }]
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop() as (typeof stack)[number]
    if (node === null || typeof node !== 'object') continue
    if (depth > maxDepth) return showPath(path)
    const step = (key: string, child: unknown) => stack.push({ node: child, depth: depth + 1, path: path.length < PATH_SHOWN ? [...path, key] : path })
    if (Array.isArray(node)) node.forEach((child, i) => step(`[${i}]`, child))
    else for (const [k, child] of Object.entries(node)) step(`.${k}`, child)
  }
  return null
}

/** Whether objects and arrays nest deeper than `maxDepth`; no allocation per scalar. */
export function exceedsDepth(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false
  const nodes: object[] = [value]
  const depths: number[] = [1]
  while (nodes.length > 0) {
    const node = nodes.pop() as object
    const depth = depths.pop() as number
    if (depth > maxDepth) return true
    const children = Array.isArray(node) ? node : Object.values(node)
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        nodes.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return false
}

function showPath(path: readonly string[]): string {
  const shown = path.join('').replace(/^\./, '')
  return path.length >= PATH_SHOWN ? `${shown}…` : shown || '(the value itself)'
}

/** The message for a value nested too deep, naming where. */
export function tooDeepMessage(where: string, maxDepth: number = MAX_JSON_DEPTH): string {
  return `nested deeper than ${maxDepth} levels at ${where}: flatten the value (at most ${maxDepth} levels of objects and arrays)`
}

/** Whether a string holds text PostgreSQL cannot store: NUL, or a lone surrogate (not valid Unicode). */
export function hasUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text)
}

/** The string with NUL and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return hasUnstorableText(text) ? text.replace(UNSTORABLE_ALL, REPLACEMENT) : text
}

/**
 * The value with every string and key made storable (storableText); the same object when nothing
 * needed it. Call after findTooDeep: it recurses, once per level.
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value)
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null
    for (let i = 0; i < value.length; i++) {
      const next = storableJson(value[i])
      if (next !== value[i]) (copy ??= [...value])[i] = next
    }
    return copy ?? value
  }
  let changed = false
  const entries = Object.entries(value).map(([k, v]): [string, unknown] => {
    const key = storableText(k)
    const next = storableJson(v)
    if (key !== k || next !== v) changed = true
    return [key, next]
  })
  if (!changed) return value
  const copy: Record<string, unknown> = {}
  // defineProperty, not assignment: a "__proto__" key must stay a key, not replace the prototype.
  for (const [k, v] of entries) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true })
  return copy
}

/**
 * The first string in the value (or key) that PostgreSQL cannot store, as a path; null when none.
 * Call after findTooDeep.
 */
export function findUnstorableText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return hasUnstorableText(value) ? path || '(the value itself)' : null
  if (value === null || typeof value !== 'object') return null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${path}[${i}]`)
      if (found !== null) return found
    }
    return null
  }
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k
    if (hasUnstorableText(k)) return here
    const found = findUnstorableText(v, here)
    if (found !== null) return found
  }
  return null
}

/**
 * JSON.stringify without recursion, for values too deep for it (a rejected record's payload must
 * still be stored as received). Same output as JSON.stringify for what JSON.parse produces.
 */
export function stringifyDeep(value: unknown): string {
  const out: string[] = []
  type Frame = { kind: 'array'; items: readonly unknown[]; next: number } | { kind: 'object'; entries: Array<[string, unknown]>; next: number }
  const stack: Frame[] = []
  const open = (v: unknown, inArray: boolean): void => {
    if (v === null || typeof v !== 'object') {
      const text = JSON.stringify(v)
      out.push(text === undefined ? (inArray ? 'null' : '') : text)
      return
    }
    if (Array.isArray(v)) {
      out.push('[')
      stack.push({ kind: 'array', items: v, next: 0 })
    } else {
      out.push('{')
      stack.push({ kind: 'object', entries: Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function'), next: 0 })
    }
  }
  open(value, true)
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame
    if (frame.kind === 'array') {
      if (frame.next >= frame.items.length) {
        stack.pop()
        out.push(']')
        continue
      }
      if (frame.next > 0) out.push(',')
      open(frame.items[frame.next++], true)
    } else {
      if (frame.next >= frame.entries.length) {
        stack.pop()
        out.push('}')
        continue
      }
      if (frame.next > 0) out.push(',')
      const [k, v] = frame.entries[frame.next++] as [string, unknown]
      out.push(`${JSON.stringify(k)}:`)
      open(v, false)
    }
  }
  return out.join('')
}

/**
 * A stored payload as JSON text, to splice into a response unchanged: the text itself when it is
 * JSON (the raw store writes JSON.stringify or stringifyDeep output), else the text as a JSON string
 * (a line stored before unparseable lines were kept as JSON strings). Never parsed and written again:
 * JSON.parse takes any depth, but a payload nested 10,000 deep overflows JSON.stringify.
 */
export function storedPayloadJson(payload: string): string {
  try {
    JSON.parse(payload)
  } catch (error) {
    // Only a syntax error means "not JSON": anything else is a bug.
    if (!(error instanceof SyntaxError)) throw error
    return JSON.stringify(payload)
  }
  return payload
}

/** `JSON.stringify(fields)` with one more field last, `name`, whose value is the JSON text `json` as it is. */
export function jsonWithRawField(fields: Record<string, unknown>, name: string, json: string): string {
  const head = JSON.stringify(fields)
  return `${head.slice(0, -1)}${head === '{}' ? '' : ','}${JSON.stringify(name)}:${json}}`
}
