// Request bodies → records: JSON (object, array, {"data": ...}), NDJSON and CSV.
// A body that cannot be read at all is an error that says where; one bad NDJSON line or CSV row is
// a record of its own (an UnparseableRecord) so that its neighbours still go through.
import { parse as parseCsv } from 'csv-parse/sync'
import type { BodyFormat, IncomingRecord } from '../domain/types.ts'
import { locateJsonError } from './json-error.ts'

export const UNPARSEABLE: unique symbol = Symbol('unparseable')

export interface UnparseableRecord {
  [UNPARSEABLE]: true
  message: string
  line: number
  /** The text as received, kept in the raw store. */
  text: string
}

export function isUnparseable(value: unknown): value is UnparseableRecord {
  return typeof value === 'object' && value !== null && UNPARSEABLE in value
}

export function unparseable(message: string, line: number, text: string): UnparseableRecord {
  return { [UNPARSEABLE]: true, message, line, text }
}

export type ParseResult =
  | { kind: 'ok'; records: IncomingRecord[] }
  | { kind: 'unparseable'; message: string; line?: number; column?: number }

const CONTENT_TYPES: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/jsonlines': 'ndjson',
  'text/csv': 'csv',
  'application/csv': 'csv',
}

export function formatFromContentType(contentType: string | undefined): BodyFormat | null {
  if (!contentType) return null
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  return CONTENT_TYPES[mime] ?? (/^application\/[\w.-]+\+json$/.test(mime) ? 'json' : null)
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** Line and column (1-based) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** JSON.parse with an error that names the line and column. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string; line?: number; column?: number } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    const located = locateJsonError(text)
    if (!located) return { ok: false, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` }
    const where = lineAndColumn(text, located.offset)
    return { ok: false, message: `not valid JSON at line ${where.line}, column ${where.column}: ${located.reason}`, ...where }
  }
}

export function parseBody(text: string, format: BodyFormat): ParseResult {
  const body = stripBom(text)
  if (body.trim() === '') return { kind: 'unparseable', message: 'body is empty: send at least one record' }
  if (format === 'json') return parseJsonBody(body)
  if (format === 'ndjson') return { kind: 'ok', records: parseNdjsonLines(body.split('\n'), 1, 0).records }
  return parseCsvBody(body)
}

/** A parsed JSON document as records: an array is many, `{"data": ...}` is unwrapped. */
export function jsonDocumentRecords(value: unknown): IncomingRecord[] {
  let document = value
  if (isPlainObject(document) && Object.keys(document).length === 1 && 'data' in document) {
    const data = document.data
    if (Array.isArray(data) || isPlainObject(data)) document = data
  }
  if (Array.isArray(document)) return document.map((item, index) => ({ index, value: item }))
  return [{ index: 0, value: document }]
}

function parseJsonBody(body: string): ParseResult {
  const parsed = parseJson(body)
  if (!parsed.ok) return { kind: 'unparseable', message: `body is ${parsed.message}`, line: parsed.line, column: parsed.column }
  return { kind: 'ok', records: jsonDocumentRecords(parsed.value) }
}

/**
 * NDJSON lines → records. Blank lines are skipped and not counted; record indices count the
 * non-blank lines from `firstIndex`. `firstLine` is the file line number of lines[0].
 */
export function parseNdjsonLines(lines: readonly string[], firstLine: number, firstIndex: number): { records: IncomingRecord[]; nextIndex: number } {
  const records: IncomingRecord[] = []
  let index = firstIndex
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (text.trim() === '') continue
    const lineNo = firstLine + i
    const parsed = parseJson(text)
    records.push({
      index: index++,
      value: parsed.ok ? parsed.value : unparseable(`line ${lineNo} is ${parsed.message.replace(/at line 1, /, 'at ')}`, lineNo, text),
    })
  }
  return { records, nextIndex: index }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Checks a CSV header: names must be present and distinct. */
export function checkCsvHeader(header: readonly string[]): string | null {
  const seen = new Set<string>()
  for (let i = 0; i < header.length; i++) {
    const name = (header[i] ?? '').trim()
    if (name === '') return `CSV header column ${i + 1} has no name: every column needs one (e.g. cookie, email, location.city)`
    if (seen.has(name)) return `CSV header names "${name}" twice: each column name must be unique`
    seen.add(name)
  }
  return null
}

/** One CSV row → a nested object of strings; dotted headers nest, empty cells are left out. */
export function csvRowToRecord(header: readonly string[], row: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (let i = 0; i < header.length; i++) {
    const cell = row[i]
    if (cell === undefined || cell === '') continue
    const path = (header[i] as string).trim().split('.')
    let target = record
    for (let p = 0; p < path.length - 1; p++) {
      const key = path[p] as string
      const next = target[key]
      if (!isPlainObject(next)) target[key] = {}
      target = target[key] as Record<string, unknown>
    }
    target[path[path.length - 1] as string] = cell
  }
  return record
}

/** Builds the record (or unparseable marker) for data row `rowNumber` (1 = first after the header). */
export function csvRecord(header: readonly string[], row: readonly string[], rowNumber: number, line: number): IncomingRecord {
  if (row.length !== header.length) {
    return {
      index: rowNumber,
      value: unparseable(
        `CSV row ${rowNumber} (line ${line}) has ${row.length} cells but the header has ${header.length}: quote cells that contain commas`,
        line,
        row.join(','),
      ),
    }
  }
  return { index: rowNumber, value: csvRowToRecord(header, row) }
}

const CSV_OPTIONS = { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true } as const

function parseCsvBody(body: string): ParseResult {
  let rows: Array<{ record: string[]; info: { lines: number } }>
  try {
    rows = parseCsv(body, CSV_OPTIONS) as unknown as Array<{ record: string[]; info: { lines: number } }>
  } catch (error) {
    const e = error as Error & { lines?: number; code?: string }
    return { kind: 'unparseable', message: `body is not valid CSV${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`, line: e.lines }
  }
  const [headerRow, ...dataRows] = rows
  if (!headerRow) return { kind: 'unparseable', message: 'body is empty: send a header row and at least one record' }
  const header = headerRow.record
  const problem = checkCsvHeader(header)
  if (problem) return { kind: 'unparseable', message: problem, line: 1 }
  return { kind: 'ok', records: dataRows.map((row, i) => csvRecord(header, row.record, i + 1, row.info.lines)) }
}
