// CSV rows → records, shared by request bodies (csv-parse/sync) and files (the csv-parse stream).
// The first row names the columns; dotted names nest (`location.city` → {location: {city}}); empty
// cells are left out so they never overwrite a known value; cells stay strings (validation types
// them). A row with the wrong number of cells fails alone, as an UnparseableRecord. The delimiter is
// `,` `;` tab or `|`, told by the caller or read off the header line.
import { CsvError, type Options } from 'csv-parse'
import { MAX_JSON_DEPTH } from '../domain/json-value.ts'
import type { IncomingRecord } from '../domain/types.ts'
import { unparseable } from './unparseable.ts'

/**
 * `relax_column_count` lets rows of the wrong length through so that we turn them into per-row
 * markers instead of failing the whole body; `relax_quotes` keeps a quote inside an unquoted cell
 * (5'10") as text; `trim` drops whitespace around cells but never inside quotes.
 */
const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  trim: true,
} as const satisfies Options

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number]

const DELIMITER_NAMES: Record<CsvDelimiter, string> = { ',': 'commas', ';': 'semicolons', '\t': 'tabs', '|': 'pipes' }

/**
 * A delimiter as a user writes it on a command line or in a query string: the character itself, or
 * `tab` / `\t` (a tab is hard to type); null when it is none of `,` `;` tab `|`.
 */
export function parseCsvDelimiter(text: string): CsvDelimiter | null {
  const value = text === 'tab' || text === '\\t' ? '\t' : text
  return (CSV_DELIMITERS as readonly string[]).includes(value) ? (value as CsvDelimiter) : null
}

/**
 * The delimiter of a CSV text, from its header line: whichever of `,` `;` tab `|` occurs most often
 * outside quotes (a header like `"Name, full";Email` is semicolon-separated). A comma wins ties and
 * a single-column header. `start` is the text's beginning; only the first line is read.
 */
export function detectCsvDelimiter(start: string): CsvDelimiter {
  const counts = new Map<string, number>()
  let quoted = false
  for (let i = start.charCodeAt(0) === 0xfeff ? 1 : 0; i < start.length; i++) {
    const c = start[i] as string
    if (c === '"') quoted = !quoted
    else if (!quoted && (c === '\n' || c === '\r')) break
    else if (!quoted && (CSV_DELIMITERS as readonly string[]).includes(c)) counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let best: CsvDelimiter = ','
  for (const d of CSV_DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d
  return best
}

/** csv-parse options that hand every row to `reader`; the parser then emits CsvSteps. */
export function csvParseOptions(reader: CsvReader): Options {
  const options: Options<CsvStep, string[]> = {
    ...CSV_OPTIONS,
    delimiter: reader.delimiter,
    on_record: (cells, context) => reader.read(cells, context.lines),
  }
  // csv-parse's overloads type on_record's result only together with `columns`, which we cannot use
  // (we build nested objects ourselves), so the steps are typed at the call sites.
  return options as unknown as Options
}

export type CsvStep =
  | { kind: 'header' }
  | { kind: 'record'; record: IncomingRecord }
  | { kind: 'bad_header'; message: string }

export interface CsvReader {
  readonly delimiter: CsvDelimiter
  /** Call for every row in order, with csv-parse's `lines` for it (the line the row ends on). */
  read(cells: string[], reportedLines: number): CsvStep
  /** A csv-parse error as a message that says what to fix, and the line where it is. */
  describeError(error: unknown): { message: string; line?: number }
}

export function createCsvReader(delimiter: CsvDelimiter = ','): CsvReader {
  let paths: string[][] | undefined
  let rowNumber = 0
  // csv-parse counts a CRLF inside a quoted cell as two lines; we count what it over-counted so far.
  let overCounted = 0
  let lastEndLine = 0

  return {
    delimiter,
    read(cells, reportedLines) {
      overCounted += countCrlf(cells)
      const endLine = reportedLines - overCounted
      const startLine = endLine - countLineBreaks(cells)
      lastEndLine = endLine
      if (!paths) {
        const names = cells.map((cell) => cell.trim())
        const problem = checkCsvHeader(names)
        if (problem) return { kind: 'bad_header', message: problem }
        paths = names.map((name) => name.split('.'))
        return { kind: 'header' }
      }
      rowNumber++
      return { kind: 'record', record: csvRecord(paths, cells, rowNumber, startLine, delimiter) }
    },

    describeError(error) {
      if (!(error instanceof CsvError)) throw error
      const reported = typeof error.lines === 'number' ? error.lines - overCounted : undefined
      const cell = typeof error.column === 'number' ? ` (cell ${error.column + 1})` : ''
      switch (error.code) {
        case 'CSV_QUOTE_NOT_CLOSED':
          return {
            message: `a quoted cell that starts after line ${lastEndLine} is never closed: end it with " and write a quote inside a quoted cell as ""`,
            line: lastEndLine + 1,
          }
        case 'CSV_INVALID_CLOSING_QUOTE':
        case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': {
          // A quote left open on an earlier line runs on until the next quote: the break is where
          // that row starts, and every row before it is whole.
          const start = lastEndLine + 1
          if (reported === undefined || reported <= start) {
            return { message: `text follows a closing quote on line ${reported}${cell}: write a quote inside a quoted cell as ""`, line: reported }
          }
          return {
            message: `text follows a closing quote on line ${reported}${cell}, in a row that starts on line ${start}: a quote there is probably never closed; write a quote inside a quoted cell as ""`,
            line: start,
          }
        }
        default:
          return { message: `${error.message}`, line: reported }
      }
    },
  }
}

/** Header names must be present, distinct and consistent as paths; null when they are. */
export function checkCsvHeader(names: readonly string[]): string | null {
  const seen = new Set<string>()
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    if (name === '') return `CSV header column ${i + 1} has no name: every column needs one (e.g. cookie, email, location.city)`
    if (seen.has(name)) return `CSV header names "${name}" twice: each column name must be unique`
    const parts = name.split('.')
    if (parts.some((part) => part === '')) return `CSV header "${name}" has an empty part: write nested names as location.city`
    if (parts.length > MAX_JSON_DEPTH - 1) return `CSV header column ${i + 1} nests ${parts.length} names deep: at most ${MAX_JSON_DEPTH - 1} dotted parts are allowed`
    // Assigning to "__proto__" would change the record's prototype instead of adding a field.
    if (parts.includes('__proto__')) return `CSV header "${name}" uses the reserved name __proto__: rename the column`
    seen.add(name)
  }
  for (const name of seen) {
    for (const other of seen) {
      if (other.startsWith(`${name}.`)) {
        return `CSV header has both "${name}" and "${other}": a column cannot be a value and a group of nested fields at once`
      }
    }
  }
  return null
}

/** One data row → a record, or an UnparseableRecord when its length differs from the header's. */
export function csvRecord(paths: readonly string[][], cells: readonly string[], rowNumber: number, line: number, delimiter: CsvDelimiter = ','): IncomingRecord {
  if (cells.length !== paths.length) {
    const message = `CSV row ${rowNumber} (line ${line}) has ${cells.length} cells but the header has ${paths.length}: quote cells that contain ${DELIMITER_NAMES[delimiter]}`
    return { index: rowNumber, value: unparseable(message, line, toCsvLine(cells, delimiter)) }
  }
  return { index: rowNumber, value: nestCells(paths, cells) }
}

function nestCells(paths: readonly string[][], cells: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (let i = 0; i < paths.length; i++) {
    const cell = cells[i]
    if (cell === undefined || cell === '') continue
    const path = paths[i] as string[]
    let target = record
    for (let p = 0; p < path.length - 1; p++) {
      const key = path[p] as string
      // checkCsvHeader guarantees that a group is never also a value. hasOwn, not ??=, so that a
      // column like `constructor.name` cannot reach the inherited Object constructor.
      if (!Object.hasOwn(target, key)) target[key] = {}
      target = target[key] as Record<string, unknown>
    }
    target[path[path.length - 1] as string] = cell
  }
  return record
}

function toCsvLine(cells: readonly string[], delimiter: CsvDelimiter): string {
  return cells.map((cell) => (/["\r\n]/.test(cell) || cell.includes(delimiter) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(delimiter)
}

function countCrlf(cells: readonly string[]): number {
  let count = 0
  for (const cell of cells) if (cell.includes('\r')) count += cell.split('\r\n').length - 1
  return count
}

/** Line breaks inside quoted cells: CRLF, LF or a lone CR each count once. */
function countLineBreaks(cells: readonly string[]): number {
  let count = 0
  for (const cell of cells) if (cell.includes('\n') || cell.includes('\r')) count += cell.match(/\r\n|\n|\r/g)?.length ?? 0
  return count
}
