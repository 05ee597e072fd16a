// Files of any size → batches of records, at constant memory (NDJSON line by line, CSV through the
// csv-parse stream, a JSON array element by element). The record rules are the request bodies':
// same indices, blank-line handling and UnparseableRecord markers.
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { CsvError, parse as parseCsvStream } from 'csv-parse'
import type { BodyFormat, IncomingRecord } from '../domain/types.ts'
import { parseNdjsonLines } from './body.ts'
import { createCsvReader, type CsvDelimiter, csvParseOptions, type CsvReader, type CsvStep, detectCsvDelimiter } from './csv-rows.ts'
import { createJsonArrayScanner, type ArrayElementText } from './json-array-scanner.ts'
import { jsonDocumentRecords, parseJson } from './json-text.ts'
import { isUnparseable, unparseable } from './unparseable.ts'

/**
 * One batch of at most `batchSize` records. `bytesRead` is how many bytes of the file have been
 * read so far, for progress bars: it may run ahead of the records by one read chunk, and equals
 * the file size on the last batch.
 */
export interface RecordBatch {
  records: IncomingRecord[]
  bytesRead: number
}

/**
 * The file cannot be read on from here (a CSV quote never closed, a bad header, broken JSON). The
 * batches yielded before it are whole and may already be stored: an importer reports them.
 */
export class FileParseError extends Error {
  readonly line: number | undefined
  constructor(message: string, options: { line?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'FileParseError'
    this.line = options.line
  }
}

/** How much of a CSV file is read to find its delimiter: the header line is in it. */
const DELIMITER_SNIFF_BYTES = 64 * 1024

const EXTENSIONS: Record<string, BodyFormat> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json' }
/** A JSON file that is not a top-level array must be parsed whole; past this size we refuse. */
const WHOLE_JSON_LIMIT = 50 * 1024 * 1024
/** One array element larger than this becomes an UnparseableRecord instead of filling memory. */
const MAX_ELEMENT_CHARS = 16 * 1024 * 1024

export function detectFileFormat(file: string, explicit?: BodyFormat): BodyFormat {
  if (explicit) return explicit
  const extension = path.extname(file).toLowerCase()
  const format = Object.hasOwn(EXTENSIONS, extension) ? EXTENSIONS[extension] : undefined
  if (!format) {
    throw new Error(`cannot tell the format of ${file} from its extension (expected .csv, .ndjson, .jsonl or .json): pass --format csv, ndjson or json`)
  }
  return format
}

/**
 * Reads `file` as batches of records; fails early when it cannot be read. A CSV file's delimiter is
 * `options.delimiter`, else read off its header line. A file that breaks off throws FileParseError
 * after the batches before the break.
 */
export function readRecordBatches(file: string, format: BodyFormat, batchSize = 1000, options: { delimiter?: CsvDelimiter } = {}): AsyncGenerator<RecordBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer (got ${batchSize})`)
  fs.accessSync(file, fs.constants.R_OK)
  if (format === 'ndjson') return readNdjson(file, batchSize)
  if (format === 'csv') return readCsv(file, batchSize, options.delimiter ?? detectCsvFileDelimiter(file))
  return readJson(file, batchSize)
}

/** A CSV file's delimiter, read off its header line. */
export function detectCsvFileDelimiter(file: string): CsvDelimiter {
  const fd = fs.openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(DELIMITER_SNIFF_BYTES)
    const length = fs.readSync(fd, buffer, 0, buffer.length, 0)
    return detectCsvDelimiter(buffer.subarray(0, length).toString('utf8'))
  } finally {
    fs.closeSync(fd)
  }
}

async function* readNdjson(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' })
  let lastChar = ''
  stream.on('data', (chunk) => {
    if (chunk.length > 0) lastChar = (chunk as string)[chunk.length - 1] as string
  })
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity })
  let lineNumber = 0
  let index = 0
  const batch: IncomingRecord[] = []
  try {
    for await (const line of lines) {
      lineNumber++
      const text = lineNumber === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line
      const { records, nextIndex } = parseNdjsonLines([text], lineNumber, index)
      index = nextIndex
      batch.push(...records)
      // One record is held back until the next line: the last one may turn out to be cut off.
      if (batch.length > batchSize) yield { records: batch.splice(0, batchSize), bytesRead: stream.bytesRead }
    }
  } finally {
    lines.close()
    stream.destroy()
  }
  // A bad line is one rejected record, but a bad last line with no line break after it is where the
  // file was cut off (a copy or a download that stopped): the file breaks off there.
  const last = batch[batch.length - 1]
  const cutOff = lastChar !== '\n' && last !== undefined && isUnparseable(last.value) && last.value.line === lineNumber ? last.value : undefined
  if (cutOff) batch.pop()
  while (batch.length > 0) yield { records: batch.splice(0, batchSize), bytesRead: stream.bytesRead }
  if (cutOff) {
    throw new FileParseError(`${file} ends in the middle of a record: ${cutOff.message}, and no line break follows it; complete the file (was it cut off?) and import it again`, {
      line: cutOff.line,
    })
  }
}

async function* readCsv(file: string, batchSize: number, delimiter: CsvDelimiter): AsyncGenerator<RecordBatch> {
  const stream = fs.createReadStream(file)
  // Rows are taken as the parser reads them, not from its output. When the file breaks off part-way
  // through a chunk, csv-parse fails the stream and its output buffer goes with it: up to a chunk's
  // worth of whole rows before the break would be lost. The output only paces the reading here.
  const rows: IncomingRecord[] = []
  const reader = createCsvReader(delimiter)
  const collecting: CsvReader = {
    ...reader,
    read(cells, reportedLines) {
      const step = reader.read(cells, reportedLines)
      if (step.kind === 'record') rows.push(step.record)
      return step
    },
  }
  const parser = parseCsvStream(csvParseOptions(collecting))
  // pipe() does not forward read errors; without this a failed read would leave us waiting.
  stream.on('error', (error) => parser.destroy(error))
  stream.pipe(parser)
  let broken: FileParseError | undefined
  try {
    for await (const step of parser as AsyncIterable<CsvStep>) {
      if (step.kind === 'bad_header') throw new FileParseError(`${file}: ${step.message}`, { line: 1 })
      while (rows.length >= batchSize) yield { records: rows.splice(0, batchSize), bytesRead: stream.bytesRead }
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    const problem = reader.describeError(error)
    const where = problem.line === undefined ? '' : ` at line ${problem.line}`
    broken = new FileParseError(`${file} is not valid CSV${where}: ${problem.message}`, { line: problem.line, cause: error })
  } finally {
    stream.destroy()
  }
  // The rows before a break are whole records: they go through, and the caller hears of the break.
  while (rows.length > 0) yield { records: rows.splice(0, batchSize), bytesRead: stream.bytesRead }
  if (broken) throw broken
}

async function* readJson(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const head = await firstNonSpace(file)
  if (head === undefined) throw new FileParseError(`${file} is empty: it needs at least one record`)
  if (head === '[') {
    yield* readJsonArray(file, batchSize)
    return
  }
  const size = fs.statSync(file).size
  if (size > WHOLE_JSON_LIMIT) {
    throw new Error(
      `${file} is a ${Math.round(size / 2 ** 20)} MB JSON document that is not a top-level array: ` +
        'convert it to NDJSON (one record per line) or to a JSON array to import it',
    )
  }
  const text = fs.readFileSync(file, 'utf8')
  const parsed = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  if (parsed.kind === 'rejected') {
    const { line, column } = parsed.detail
    const where = line === undefined ? '' : ` at line ${line}, column ${column}`
    throw new FileParseError(`${file} is not valid JSON${where}: ${parsed.reason}`, { line })
  }
  const records = jsonDocumentRecords(parsed.value)
  for (let i = 0; i < records.length; i += batchSize) yield { records: records.slice(i, i + batchSize), bytesRead: size }
}

async function firstNonSpace(file: string): Promise<string | undefined> {
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 4096 })
  try {
    for await (const chunk of stream) {
      const match = /[^\s\uFEFF]/.exec(chunk as string)
      if (match) return match[0]
    }
    return undefined
  } finally {
    stream.destroy()
  }
}

async function* readJsonArray(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' })
  const scanner = createJsonArrayScanner({ maxElementChars: MAX_ELEMENT_CHARS })
  let index = 0
  let batch: IncomingRecord[] = []
  try {
    for await (const chunk of stream) {
      let elements: ArrayElementText[]
      try {
        elements = scanner.push(chunk as string)
      } catch (error) {
        if (batch.length > 0) yield { records: batch, bytesRead: stream.bytesRead }
        throw new FileParseError(`${file}: ${(error as Error).message}`, { cause: error })
      }
      for (const element of elements) {
        batch.push({ index, value: elementValue(element, index) })
        index++
        if (batch.length >= batchSize) {
          yield { records: batch, bytesRead: stream.bytesRead }
          batch = []
        }
      }
    }
  } finally {
    stream.destroy()
  }
  try {
    scanner.end()
  } catch (error) {
    if (batch.length > 0) yield { records: batch, bytesRead: stream.bytesRead }
    throw new FileParseError(`${file}: ${(error as Error).message}`, { cause: error })
  }
  if (batch.length > 0) yield { records: batch, bytesRead: stream.bytesRead }
}

function elementValue(element: ArrayElementText, index: number): unknown {
  const where = `array element ${index} (line ${element.line}, column ${element.column})`
  if (element.oversized) {
    return unparseable(`${where} is larger than ${MAX_ELEMENT_CHARS / 2 ** 20} MB: split it into smaller records`, element.line, element.text)
  }
  if (element.text === '') return unparseable(`${where} is empty: remove the extra comma`, element.line, '')
  const parsed = parseJson(element.text)
  if (parsed.kind === 'ok') return parsed.value
  // The parser counts from the element's start; report where that is in the file.
  let position = ''
  const at = parsed.detail
  if (at.line !== undefined && at.column !== undefined) {
    const line = element.line + at.line - 1
    const column = at.line === 1 ? element.column + at.column - 1 : at.column
    position = ` at line ${line}, column ${column}`
  }
  return unparseable(`${where} is not valid JSON${position}: ${parsed.reason}`, element.line, element.text)
}
