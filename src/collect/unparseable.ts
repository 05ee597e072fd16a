// The value of a record that could not be read: a bad NDJSON line, CSV row or JSON array element.
// It travels through the pipeline in place of the record, so that record fails alone (reported as
// `unparseable`) while its neighbours go through.

export const UNPARSEABLE: unique symbol = Symbol('unparseable')

export interface UnparseableRecord {
  [UNPARSEABLE]: true
  /** What to fix, naming the line: `line 4 is not valid JSON at column 2: ...`. */
  message: string
  /** 1-based line of the file or body where the record starts. */
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
