// JSON text → values, with errors that say where: line and column (1-based, in characters) and
// what went wrong. Also the rule for turning a parsed JSON document into records.
import { ok, type Outcome, rejected } from '../domain/outcome.ts'
import type { IncomingRecord } from '../domain/types.ts'
import { locateJsonError } from './json-error.ts'

/** The parsed value, or what went wrong (`reason`) and where, when known (1-based). */
export type JsonParseResult = Outcome<unknown, JsonErrorPosition>

export interface JsonErrorPosition {
  line?: number
  column?: number
}

export function parseJson(text: string): JsonParseResult {
  try {
    return ok(JSON.parse(text))
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    const { reason, ...position } = describeJsonError(text, error.message)
    return rejected(reason, position)
  }
}

/**
 * Where and why JSON.parse failed. V8 gives a position for most errors ("... in JSON at position 7",
 * newer versions add "(line 1 column 8)"), but none for "Unexpected token" or "Unexpected end of
 * JSON input"; then our own scanner finds the offset.
 */
export function describeJsonError(text: string, v8Message: string): { reason: string; line?: number; column?: number } {
  const positioned = /^(.*?) in JSON at position (\d+)(?: \(line (\d+) column (\d+)\))?$/s.exec(v8Message)
  if (positioned) {
    const reason = positioned[1] as string
    if (positioned[3] && positioned[4]) return { reason, line: Number(positioned[3]), column: Number(positioned[4]) }
    return { reason, ...lineAndColumn(text, Number(positioned[2])) }
  }
  // Newer V8 echoes the input, cut short with "..." at either end: `Unexpected token '}', "{"a": }"
  // is not valid JSON`. Drop the echo: the caller gives the position, and bodies can be large.
  const echoed = /^(Unexpected token .+?), (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s.exec(v8Message)
  const reason = echoed ? (echoed[1] as string) : v8Message
  const located = locateJsonError(text)
  if (!located) return { reason }
  return { reason, ...lineAndColumn(text, located.offset) }
}

/** Line and column (1-based) of a UTF-16 offset; columns count characters, so an emoji is one. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: [...text.slice(lineStart, end)].length + 1 }
}

/**
 * A parsed JSON document as records: an array is one record per element (index = position), and
 * an object whose only key is `data` holding an object or array is unwrapped first (the customer's
 * export wraps its records that way). Anything else is one record.
 */
export function jsonDocumentRecords(value: unknown): IncomingRecord[] {
  let document = value
  if (isPlainObject(document) && Object.keys(document).length === 1 && 'data' in document) {
    const data = document.data
    if (Array.isArray(data) || isPlainObject(data)) document = data
  }
  if (Array.isArray(document)) return document.map((item, index) => ({ index, value: item }))
  return [{ index: 0, value: document }]
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
