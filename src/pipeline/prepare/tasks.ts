// Preparation as tasks of plain data: what a worker thread (prepare/worker.ts) is sent and sends
// back, and the one function that does it, so a batch prepared on the main thread and one prepared
// in a worker go through the same code. Nothing here touches the database.
import { parseBody } from '../../collect/body.ts'
import type { CsvDelimiter } from '../../collect/csv-rows.ts'
import type { InterestProperty } from '../../collect/segment-spec.ts'
import { isUnparseable, unparseable } from '../../collect/unparseable.ts'
import type { BodyFormat, IncomingRecord } from '../../domain/types.ts'
import type { PreparedRecord } from '../records.ts'
import type { QualityPolicies, ValidateOptions } from '../validate/index.ts'
import { createPrepareMessage, type MessageBatchContext } from './message.ts'
import { createPrepareRecord, type RecordBatch } from './record.ts'

/** What preparing needs besides the records: the deployment's validation settings (plain data, cloned into each worker). */
export interface PrepareSettings {
  validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>
  qualityPolicies: QualityPolicies
  interestProperties: readonly InterestProperty[] | undefined
}

/**
 * A record as it crosses to a worker. An unparseable record's marker is a symbol key, which a
 * structured clone drops, so it travels as its parts and is rebuilt on the other side.
 */
export type WireRecord = IncomingRecord | { index: number; unparseable: { message: string; line: number; text: string } }

export type PrepareTask =
  /** A request body: parsed (JSON, NDJSON, CSV), then each record prepared. */
  | { kind: 'body'; text: string; format: BodyFormat; delimiter?: CsvDelimiter; batch: RecordBatch }
  /** Records already parsed (cdp import's file reader). */
  | { kind: 'records'; records: WireRecord[]; batch: RecordBatch }
  /** Segment-spec messages (POST /v1/batch, /v1/import). */
  | { kind: 'messages'; messages: IncomingRecord[]; context: MessageBatchContext }

/** A body that cannot be read at all is `rejected` with the message a client gets today (a 400). */
export type PrepareOutcome = { kind: 'prepared'; prepared: PreparedRecord[] } | { kind: 'rejected'; reason: string }

/**
 * A worker's answer to task `id`. The prepared records come back as a structured clone: measured
 * against one JSON string per batch (stringified there, parsed here) the clone cost the main thread
 * as little or less (bench/prepare-split.ts), and it keeps every value exactly as built.
 */
export type WorkerReply = { id: number; kind: 'done'; outcome: PrepareOutcome } | { id: number; kind: 'failed'; message: string; stack?: string }

export function toWireRecords(records: readonly IncomingRecord[]): WireRecord[] {
  return records.map((r) => (isUnparseable(r.value) ? { index: r.index, unparseable: { message: r.value.message, line: r.value.line, text: r.value.text } } : r))
}

function fromWireRecord(r: WireRecord): IncomingRecord {
  return 'unparseable' in r ? { index: r.index, value: unparseable(r.unparseable.message, r.unparseable.line, r.unparseable.text) } : r
}

export function createPrepareTasks(settings: PrepareSettings) {
  const prepareRecord = createPrepareRecord(settings)
  const prepareMessage = createPrepareMessage(settings)
  return function runPrepareTask(task: PrepareTask): PrepareOutcome {
    if (task.kind === 'messages') return { kind: 'prepared', prepared: task.messages.map((m) => prepareMessage(m, task.context)) }
    if (task.kind === 'records') return { kind: 'prepared', prepared: task.records.map((r) => prepareRecord(fromWireRecord(r), task.batch)) }
    const parsed = parseBody(task.text, task.format, { delimiter: task.delimiter })
    if (parsed.kind === 'rejected') return { kind: 'rejected', reason: parsed.reason }
    return { kind: 'prepared', prepared: parsed.value.map((r) => prepareRecord(r, task.batch)) }
  }
}
