// The way back from a raw row to the record it stands for, for replay and for rebuilding a person.
import { exceedsDepth, storableJson } from '../../domain/json-value.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import { type InterestProperty, MAX_MESSAGE_BYTES, translateMessage } from '../../collect/segment-spec.ts'
import { ok, type Outcome, rejected } from '../../domain/outcome.ts'
import { MESSAGE_CONTENT_TYPE, type MessageFacts } from '../records.ts'

export interface StoredRecord {
  record: unknown
  message?: MessageFacts
}

/**
 * The profile record a raw row stands for: itself for profile ingest; for a Segment-spec message,
 * the message translated again (at the time recorded when it was accepted, so skew correction is
 * not redone) and the event it carries. Rejected, with the parse error, when the payload is not JSON.
 */
export function createReadStoredRecord(deps: { interestProperties: readonly InterestProperty[] | undefined }) {
  return function readStoredRecord(row: StoredRawRecord): Outcome<StoredRecord, unknown> {
    let parsed: unknown
    try {
      parsed = JSON.parse(row.payload)
    } catch (error) {
      return rejected('has a payload that is not JSON', error)
    }
    return ok(recordOf(row, parsed))
  }

  function recordOf(row: StoredRawRecord, parsed: unknown): StoredRecord {
    // Stored before the depth bound, or rejected by it: never walked again.
    if (exceedsDepth(parsed)) return { record: null }
    const value = storableJson(parsed)
    if (row.contentType !== MESSAGE_CONTENT_TYPE) return { record: value }
    if (Buffer.byteLength(row.payload) > MAX_MESSAGE_BYTES) return { record: null }
    const t = translateMessage(value, { receivedAt: row.receivedAt, interestProperties: deps.interestProperties })
    if (!t.record) return { record: null }
    return {
      record: row.observedAt === null ? t.record : { ...t.record, timestamp: row.observedAt },
      message: { messageId: t.messageId, event: t.event, anonymousId: t.anonymousId, userId: t.userId, keyedByUserId: t.keyedByUserId },
    }
  }
}
