// Prepares a profile record (POST /api/ingest, cdp import, a corrected copy): validated under the
// source's quality policy, with its raw row.
import { findTooDeep, storableJson } from '../../domain/json-value.ts'
import type { IncomingRecord } from '../../domain/types.ts'
import { isUnparseable } from '../../collect/unparseable.ts'
import { policyForSource, type QualityPolicies, type QualityPolicy, validateRecord, type ValidateOptions } from '../validate/index.ts'
import type { PreparedRecord } from '../records.ts'
import { acceptedRecord, canonicalJson, contentHash, rejectedRecord, tooDeepRecord, unparseableRecord } from './raw-record.ts'

export interface RecordBatch {
  source: string
  contentType: string
  batchId: string
  receivedAt: number
  /** Overrides the source's quality policy for this batch. */
  onInvalid?: QualityPolicy
}

export function createPrepareRecord(deps: { validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>; qualityPolicies: QualityPolicies }) {
  return function prepareRecord(record: IncomingRecord, batch: RecordBatch): PreparedRecord {
    const { batchId, receivedAt, source, contentType } = batch
    const base = { batchId, receivedAt, source, contentType, recordIndex: record.index }
    if (isUnparseable(record.value)) return unparseableRecord(record.index, base, record.value)
    const tooDeep = findTooDeep(record.value)
    if (tooDeep !== null) return tooDeepRecord(record, base, tooDeep)
    // The payload is the record as received (JSON escapes NUL); what is read from it is made storable.
    const raw = { ...base, payload: JSON.stringify(record.value), contentHash: contentHash(source, canonicalJson(record.value)) }
    const onInvalid = batch.onInvalid ?? policyForSource(deps.qualityPolicies, source)
    const result = validateRecord(storableJson(record.value), { ...deps.validate, receivedAt, onInvalid })
    if (result.kind === 'rejected') return rejectedRecord(record.index, { ...raw, cookie: result.detail.cookie ?? null }, result.detail.errors)
    return acceptedRecord(record.index, raw, result.value)
  }
}
