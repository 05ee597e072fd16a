// Fixes for `cdp replay`: a field mapping ("E-mail=email") and an RFC 6902 JSON Patch, applied to a
// copy of a stored record's payload. Pure: the stored payload is never changed (the corrected copy
// becomes a raw record of its own, see replay.ts).
import { ok, type Outcome, rejected } from '../domain/outcome.ts'

export type PatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string }

export interface FieldMapping {
  from: string
  to: string
}

/** The fixed record, or why the fix does not apply (`reason`, for people). */
export type FixResult = Outcome<unknown>

/** "E-mail=email" → {from: "E-mail", to: "email"}; throws a message that says what to write. */
export function parseFieldMapping(text: string): FieldMapping {
  const at = text.indexOf('=')
  const from = text.slice(0, at).trim()
  const to = text.slice(at + 1).trim()
  if (at < 0 || from === '' || to === '' || to.split('.').some((part) => part === '')) {
    throw new Error(`--map "${text}": write FROM=TO, e.g. --map "E-mail=email" or --map "Zip=location.zip"`)
  }
  return { from, to }
}

/** Checks a parsed patch document's shape; throws a message naming the bad operation. */
export function parsePatch(document: unknown): PatchOperation[] {
  if (!Array.isArray(document)) throw new Error('a JSON Patch is an array of operations, e.g. [{"op":"replace","path":"/email","value":"a@example.org"}]')
  return document.map((raw: unknown, i) => {
    const op = raw as Record<string, unknown> | null
    const where = `patch operation ${i}`
    if (!op || typeof op !== 'object' || typeof op.path !== 'string') throw new Error(`${where} needs a "path" string`)
    parsePointer(op.path, where)
    switch (op.op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!Object.hasOwn(op, 'value')) throw new Error(`${where} ("${op.op}") needs a "value"`)
        return { op: op.op, path: op.path, value: op.value }
      case 'remove':
        return { op: 'remove', path: op.path }
      case 'move':
      case 'copy':
        if (typeof op.from !== 'string') throw new Error(`${where} ("${op.op}") needs a "from" string`)
        parsePointer(op.from, where)
        return { op: op.op, from: op.from, path: op.path }
      default:
        throw new Error(`${where} has op ${JSON.stringify(op.op)}: use add, remove, replace, move, copy or test`)
    }
  })
}

/** Applies the mappings, then the patch, to a deep copy of `value`; the whole fix applies or none of it. */
export function applyFix(value: unknown, fix: { mappings: readonly FieldMapping[]; patch: readonly PatchOperation[] }): FixResult {
  let doc: unknown = structuredClone(value)
  for (const mapping of fix.mappings) {
    if (!isObject(doc)) return rejected('the record is not a JSON object: a mapping cannot apply')
    doc = applyMapping(doc, mapping)
  }
  for (let i = 0; i < fix.patch.length; i++) {
    const result = applyOperation(doc, fix.patch[i] as PatchOperation)
    if (result.kind === 'rejected') return rejected(`patch operation ${i}: ${result.reason}`)
    doc = result.value
  }
  return ok(doc)
}

/** Moves the field `from` (a top-level key as written, else a dotted path) to the dotted path `to`. */
function applyMapping(doc: Record<string, unknown>, { from, to }: FieldMapping): Record<string, unknown> {
  let value: unknown
  if (Object.hasOwn(doc, from)) {
    value = doc[from]
    delete doc[from]
  } else {
    const parts = from.split('.')
    const parent = walk(doc, parts.slice(0, -1))
    const last = parts[parts.length - 1] as string
    if (!parent || !Object.hasOwn(parent, last)) return doc
    value = parent[last]
    delete parent[last]
  }
  const parts = to.split('.')
  let target = doc
  for (const part of parts.slice(0, -1)) {
    if (!isObject(target[part])) setOwn(target, part, {})
    target = target[part] as Record<string, unknown>
  }
  setOwn(target, parts[parts.length - 1] as string, value)
  return doc
}

function walk(doc: Record<string, unknown>, parts: readonly string[]): Record<string, unknown> | undefined {
  let node: unknown = doc
  for (const part of parts) {
    if (!isObject(node) || !Object.hasOwn(node, part)) return undefined
    node = node[part]
  }
  return isObject(node) ? node : undefined
}

// ----- RFC 6902 over RFC 6901 pointers -----

function parsePointer(pointer: string, where: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new Error(`${where}: the path "${pointer}" must start with "/" (a JSON Pointer, e.g. /location/city)`)
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
}

type Step = Outcome<unknown>

function applyOperation(doc: unknown, op: PatchOperation): Step {
  const path = parsePointer(op.path, 'patch')
  switch (op.op) {
    case 'test': {
      const found = get(doc, path)
      if (!found.exists) return rejected(`test: nothing at ${op.path}`)
      return deepEqual(found.value, op.value) ? ok(doc) : rejected(`test: ${op.path} is ${JSON.stringify(found.value)}, not ${JSON.stringify(op.value)}`)
    }
    case 'add':
      return add(doc, path, structuredClone(op.value), op.path)
    case 'remove':
      return remove(doc, path, op.path)
    case 'replace': {
      if (!get(doc, path).exists) return rejected(`replace: nothing at ${op.path}`)
      if (path.length === 0) return ok(structuredClone(op.value))
      const removed = remove(doc, path, op.path)
      return removed.kind === 'ok' ? add(removed.value, path, structuredClone(op.value), op.path) : removed
    }
    case 'copy':
    case 'move': {
      const from = parsePointer(op.from, 'patch')
      const found = get(doc, from)
      if (!found.exists) return rejected(`${op.op}: nothing at ${op.from}`)
      if (op.op === 'copy') return add(doc, path, structuredClone(found.value), op.path)
      if (path.length > from.length && from.every((token, i) => path[i] === token)) {
        return rejected(`move: ${op.path} is inside ${op.from}`)
      }
      const removed = remove(doc, from, op.from)
      return removed.kind === 'ok' ? add(removed.value, path, found.value, op.path) : removed
    }
  }
}

function get(doc: unknown, path: readonly string[]): { exists: boolean; value?: unknown } {
  let node = doc
  for (const token of path) {
    if (Array.isArray(node)) {
      const index = arrayIndex(token, node.length - 1)
      if (index === null) return { exists: false }
      node = node[index]
    } else if (isObject(node) && Object.hasOwn(node, token)) {
      node = node[token]
    } else {
      return { exists: false }
    }
  }
  return { exists: true, value: node }
}

function add(doc: unknown, path: readonly string[], value: unknown, pointer: string): Step {
  if (path.length === 0) return ok(value)
  const parent = get(doc, path.slice(0, -1))
  const token = path[path.length - 1] as string
  if (!parent.exists) return rejected(`add: the parent of ${pointer} does not exist`)
  if (Array.isArray(parent.value)) {
    const index = token === '-' ? parent.value.length : arrayIndex(token, parent.value.length)
    if (index === null) return rejected(`add: ${pointer} is not an index of the array (0 to ${parent.value.length}, or -)`)
    parent.value.splice(index, 0, value)
  } else if (isObject(parent.value)) {
    setOwn(parent.value, token, value)
  } else {
    return rejected(`add: the parent of ${pointer} is not an object or array`)
  }
  return ok(doc)
}

function remove(doc: unknown, path: readonly string[], pointer: string): Step {
  if (path.length === 0) return rejected('remove: cannot remove the whole record')
  const parent = get(doc, path.slice(0, -1))
  const token = path[path.length - 1] as string
  if (parent.exists && Array.isArray(parent.value)) {
    const index = arrayIndex(token, parent.value.length - 1)
    if (index === null) return rejected(`remove: nothing at ${pointer}`)
    parent.value.splice(index, 1)
    return ok(doc)
  }
  if (!parent.exists || !isObject(parent.value) || !Object.hasOwn(parent.value, token)) return rejected(`remove: nothing at ${pointer}`)
  delete parent.value[token]
  return ok(doc)
}

/** A JSON Pointer array index: digits without a leading zero, at most `max`. */
function arrayIndex(token: string, max: number): number | null {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return null
  const index = Number(token)
  return index <= max ? index : null
}

// Own data properties only: a path like /__proto__/x must add a key, never reach a prototype.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}
