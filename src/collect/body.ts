// Request bodies → records: JSON (object, array, {"data": ...}), NDJSON and CSV.
// A body that cannot be read at all is unparseable, with a message that says where; one bad NDJSON
// line or CSV row becomes a record of its own (an UnparseableRecord) so its neighbours still go through.
import { parse as parseCsv } from 'csv-parse/sync'
import { ok, type Outcome, rejected } from '../domain/outcome.ts'
import type { BodyFormat, IncomingRecord } from '../domain/types.ts'
import { createCsvReader, type CsvDelimiter, csvParseOptions, type CsvStep, detectCsvDelimiter } from './csv-rows.ts'
import { jsonDocumentRecords, parseJson } from './json-text.ts'
import { unparseable } from './unparseable.ts'

// The pipeline and the API import the marker from here.
export { UNPARSEABLE, isUnparseable, type UnparseableRecord } from './unparseable.ts'

/** The body's records, or why it cannot be read (`reason`, for the client) and where, when known. */
export type ParseResult = Outcome<IncomingRecord[], { line?: number; column?: number }>

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

/** The body format named by a Content-Type header; parameters such as charset are ignored. */
export function formatFromContentType(contentType: string | undefined): BodyFormat | null {
  if (!contentType) return null
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  if (Object.hasOwn(CONTENT_TYPES, mime)) return CONTENT_TYPES[mime] ?? null
  return /^application\/[\w.-]+\+json$/.test(mime) ? 'json' : null
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** `options.delimiter`: a CSV body's delimiter; without it, the header line tells. */
export function parseBody(text: string, format: BodyFormat, options: { delimiter?: CsvDelimiter } = {}): ParseResult {
  const body = stripBom(text)
  if (body.trim() === '') return rejected('body is empty: send at least one record', {})
  if (format === 'json') return parseJsonBody(body)
  if (format === 'ndjson') return ok(parseNdjsonLines(body.split('\n'), 1, 0).records)
  return parseCsvBody(body, options.delimiter ?? detectCsvDelimiter(body))
}

function parseJsonBody(body: string): ParseResult {
  const parsed = parseJson(body)
  if (parsed.kind === 'ok') return ok(jsonDocumentRecords(parsed.value))
  const { line, column } = parsed.detail
  const where = line === undefined ? '' : ` at line ${line}, column ${column}`
  return rejected(`body is not valid JSON${where}: ${parsed.reason}`, { line, column })
}

/**
 * NDJSON lines → records. Blank (or whitespace-only) lines are skipped and not counted: record
 * indices count the non-blank lines from `firstIndex`. `firstLine` is the line number of lines[0].
 * A trailing \r (CRLF files) is dropped.
 */
export function parseNdjsonLines(
  lines: readonly string[],
  firstLine: number,
  firstIndex: number,
): { records: IncomingRecord[]; nextIndex: number } {
  const records: IncomingRecord[] = []
  let index = firstIndex
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (text.trim() === '') continue
    const lineNumber = firstLine + i
    const parsed = parseJson(text)
    if (parsed.kind === 'ok') {
      records.push({ index: index++, value: parsed.value })
      continue
    }
    const where = parsed.detail.column === undefined ? '' : ` at column ${parsed.detail.column}`
    const message = `line ${lineNumber} is not valid JSON${where}: ${parsed.reason}`
    records.push({ index: index++, value: unparseable(message, lineNumber, text) })
  }
  return { records, nextIndex: index }
}

function parseCsvBody(body: string, delimiter: CsvDelimiter): ParseResult {
  const reader = createCsvReader(delimiter)
  let steps: CsvStep[]
  try {
    steps = parseCsv(body, csvParseOptions(reader)) as unknown as CsvStep[]
  } catch (error) {
    const problem = reader.describeError(error)
    const where = problem.line === undefined ? '' : ` at line ${problem.line}`
    return rejected(`body is not valid CSV${where}: ${problem.message}`, { line: problem.line })
  }
  const records: IncomingRecord[] = []
  for (const step of steps) {
    if (step.kind === 'bad_header') return rejected(step.message, { line: 1 })
    if (step.kind === 'record') records.push(step.record)
  }
  if (records.length === 0 && steps.length === 0) return rejected('body is empty: send a header row and at least one record', {})
  return ok(records)
}
