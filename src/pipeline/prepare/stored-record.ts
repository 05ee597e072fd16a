// The way back from a raw row to the record it stands for, for replay and for rebuilding a person.
import { exceedsDepth, storableJson } from '../../domain/json-value.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import { type InterestProperty, MAX_MESSAGE_BYTES, translateMessage } from '../../collect/segment-spec.ts'
import { ok, type Outcome, rejected } from '../../domain/outcome.ts'
import type { Observation } from '../../domain/types.ts'
import { validateRecord, type ValidateOptions } from '../validate/index.ts'
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
export function createReadStoredRecord(deps: { interestProperties: readonly InterestProperty[] | undefined; consentPurposes?: readonly string[] }) {
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
    const t = translateMessage(value, { receivedAt: row.receivedAt, interestProperties: deps.interestProperties, consentPurposes: deps.consentPurposes })
    if (!t.record) return { record: null }
    return {
      record: row.observedAt === null ? t.record : { ...t.record, timestamp: row.observedAt },
      message: { messageId: t.messageId, event: t.event, anonymousId: t.anonymousId, userId: t.userId, keyedByUserId: t.keyedByUserId, ...(t.device ? { device: t.device } : {}) },
    }
  }
}

/**
 * The observation an accepted raw row stands for, for folding a person again; null when it no longer
 * validates. drop_field reads an accepted record exactly as the policy that accepted it did (with
 * reject, nothing was dropped), so the fold matches what was ingested.
 */
export function createReadAcceptedObservation(deps: { readStoredRecord: (row: StoredRawRecord) => Outcome<StoredRecord, unknown>; validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'> }) {
  return function readAcceptedObservation(row: StoredRawRecord): Observation | null {
    const stored = deps.readStoredRecord(row)
    // It was read when it was accepted: a payload that no longer parses is a fault in the store.
    if (stored.kind === 'rejected') throw new Error(`raw record ${row.id} was accepted but ${stored.reason}`, { cause: stored.detail })
    const result = validateRecord(stored.value.record, { ...deps.validate, receivedAt: row.receivedAt, onInvalid: 'drop_field' })
    return result.kind === 'ok' ? result.value.observation : null
  }
}
