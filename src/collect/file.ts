// Files of any size → batches of records, at constant memory. Each batch also says how many bytes
// of the file have been read, for progress bars.
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { parse as parseCsvStream } from 'csv-parse'
import type { BodyFormat, IncomingRecord } from '../domain/types.ts'
import { checkCsvHeader, csvRecord, jsonDocumentRecords, parseJson, parseNdjsonLines, unparseable } from './body.ts'

export interface RecordBatch {
  records: IncomingRecord[]
  bytesRead: number
}

const EXTENSIONS: Record<string, BodyFormat> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json' }
const WHOLE_JSON_LIMIT = 50 * 1024 * 1024

export function detectFileFormat(file: string, explicit?: BodyFormat): BodyFormat {
  if (explicit) return explicit
  const format = EXTENSIONS[path.extname(file).toLowerCase()]
  if (!format) throw new Error(`cannot tell the format of ${file} from its extension: pass --format csv, ndjson or json`)
  return format
}

export function readRecordBatches(file: string, format: BodyFormat, batchSize = 1000): AsyncGenerator<RecordBatch> {
  fs.accessSync(file, fs.constants.R_OK)
  if (format === 'ndjson') return readNdjson(file, batchSize)
  if (format === 'csv') return readCsv(file, batchSize)
  return readJson(file, batchSize)
}

async function* readNdjson(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' })
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity })
  let pending: string[] = []
  let firstLine = 1
  let lineNo = 0
  let index = 0
  for await (const line of lines) {
    lineNo++
    // The first line may start with a byte-order mark.
    pending.push(lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line)
    if (pending.length >= batchSize) {
      const { records, nextIndex } = parseNdjsonLines(pending, firstLine, index)
      index = nextIndex
      firstLine = lineNo + 1
      pending = []
      if (records.length > 0) yield { records, bytesRead: stream.bytesRead }
    }
  }
  const { records } = parseNdjsonLines(pending, firstLine, index)
  if (records.length > 0) yield { records, bytesRead: stream.bytesRead }
}

async function* readCsv(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const stream = fs.createReadStream(file)
  const parser = stream.pipe(parseCsvStream({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true }))
  let header: string[] | undefined
  let rowNumber = 0
  let batch: IncomingRecord[] = []
  for await (const row of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      const problem = checkCsvHeader(row.record)
      if (problem) throw new Error(`${file}: ${problem}`)
      header = row.record
      continue
    }
    batch.push(csvRecord(header, row.record, ++rowNumber, row.info.lines))
    if (batch.length >= batchSize) {
      yield { records: batch, bytesRead: stream.bytesRead }
      batch = []
    }
  }
  if (batch.length > 0) yield { records: batch, bytesRead: stream.bytesRead }
}

async function* readJson(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const head = await firstNonSpace(file)
  if (head !== '[') {
    const size = fs.statSync(file).size
    if (size > WHOLE_JSON_LIMIT) {
      throw new Error(`${file} is a ${Math.round(size / 2 ** 20)} MB JSON document that is not an array: convert it to NDJSON (one record per line) to import it`)
    }
    const parsed = parseJson(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''))
    if (!parsed.ok) throw new Error(`${file} is ${parsed.message}`)
    const records = jsonDocumentRecords(parsed.value)
    for (let i = 0; i < records.length; i += batchSize) yield { records: records.slice(i, i + batchSize), bytesRead: size }
    return
  }
  yield* streamJsonArray(file, batchSize)
}

async function firstNonSpace(file: string): Promise<string | undefined> {
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 4096 })) {
    const m = /[^\s\uFEFF]/.exec(chunk as string)
    if (m) return m[0]
  }
  return undefined
}

/**
 * Cuts a top-level JSON array into its elements without holding the file: tracks string and escape
 * state and bracket depth, and parses each element on its own, so one bad element fails alone.
 */
async function* streamJsonArray(file: string, batchSize: number): AsyncGenerator<RecordBatch> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' })
  let started = false
  let depth = 0
  let inString = false
  let escaped = false
  let element = ''
  let elementLine = 1
  let line = 1
  let index = 0
  let batch: IncomingRecord[] = []
  const finish = () => {
    const text = element.trim()
    element = ''
    if (text === '') return
    const parsed = parseJson(text)
    batch.push({
      index,
      value: parsed.ok ? parsed.value : unparseable(`array element ${index} (line ${elementLine}) is ${parsed.message}`, elementLine, text),
    })
    index++
  }
  for await (const chunk of stream) {
    const text = chunk as string
    let sliceStart = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10) line++
      if (!started) {
        if (c === 91) {
          started = true
          sliceStart = i + 1
          elementLine = line
        }
        continue
      }
      if (inString) {
        if (escaped) escaped = false
        else if (c === 92) escaped = true
        else if (c === 34) inString = false
        continue
      }
      if (c === 34) inString = true
      else if (c === 123 || c === 91) depth++
      else if (c === 125 || c === 93) {
        if (depth === 0) {
          // The closing bracket of the top-level array.
          element += text.slice(sliceStart, i)
          finish()
          started = false
          sliceStart = text.length
          break
        }
        depth--
      } else if (c === 44 && depth === 0) {
        element += text.slice(sliceStart, i)
        finish()
        sliceStart = i + 1
        elementLine = line
      }
    }
    if (started) element += text.slice(sliceStart)
    if (batch.length >= batchSize) {
      yield { records: batch, bytesRead: stream.bytesRead }
      batch = []
    }
  }
  if (started) throw new Error(`${file} ends inside its JSON array: the file is truncated (missing "]")`)
  if (batch.length > 0) yield { records: batch, bytesRead: stream.bytesRead }
}
