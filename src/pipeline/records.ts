// What the pipeline takes in (a batch of records, a batch of messages) and what its stages pass
// along: a record prepared for the raw store, and what a message adds to it.
import type { NewRawRecord } from '../domain/raw-record.ts'
import type { BodyFormat, FieldIssue, IncomingRecord, Observation } from '../domain/types.ts'
import type { CsvDelimiter } from '../collect/csv-rows.ts'
import type { DeviceFacts, EventRecord, MessageType } from '../collect/segment-spec.ts'
import type { QualityPolicy } from './validate/quality-policy.ts'

/** The raw content type of Segment-spec messages: how replay and rebuild know to translate them. */
export const MESSAGE_CONTENT_TYPE = 'segment'

/** What a Segment-spec message adds to its profile record: the event and the ids it carries. */
export interface MessageFacts {
  messageId: string
  event: EventRecord | null
  anonymousId: string | null
  userId: string | null
  keyedByUserId: boolean
  /** The IP and user agent it came from, when known (likely matches). */
  device?: DeviceFacts
}

/** What an accepted message adds once its profile is known. */
export interface MessagePart extends MessageFacts {
  at: number
  receivedAt: number
}

/**
 * One record ready for the raw store. An accepted record has an observation; a rejected one has
 * errors instead and is stored all the same (its raw row says why).
 */
export interface PreparedRecord {
  index: number
  raw: NewRawRecord
  observation: Observation | null
  errors: FieldIssue[]
  warnings: FieldIssue[]
  /** For a Segment-spec message. */
  message?: MessageFacts
}

/** One batch's share of a group transaction. */
export interface GroupBatch {
  prepared: readonly PreparedRecord[]
  batch: { batchId: string; receivedAt: number; source: string }
}

export interface IngestBatch {
  records: readonly IncomingRecord[]
  source: string
  contentType: string
  receivedAt?: number
  /** Several calls may share one batch id: `cdp import` uses one per file. */
  batchId?: string
  /** Overrides the source's quality policy for this batch (`?on_invalid=`, `cdp import --on-invalid`). */
  onInvalid?: QualityPolicy
}

/** A request body still to be parsed (POST /api/ingest): JSON, NDJSON or CSV. */
export interface BodyBatch {
  text: string
  format: BodyFormat
  /** A CSV body's delimiter; without it, the header line tells. */
  delimiter?: CsvDelimiter
  source: string
  receivedAt?: number
  onInvalid?: QualityPolicy
}

/** Segment-spec messages (POST /v1/*): each one a raw record, a profile observation and maybe an event. */
export interface MessageBatch {
  messages: readonly IncomingRecord[]
  source: string
  receivedAt?: number
  /** The batch's sentAt, for clock-skew correction of messages without their own. */
  sentAt?: unknown
  impliedType?: MessageType
  /**
   * The HTTP request's IP and User-Agent, for messages whose context names none (the browser
   * snippet's calls); the /v1 route passes them only when likely matches are on.
   */
  client?: DeviceFacts
}
