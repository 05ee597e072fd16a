// Prepares a Segment-spec message (POST /v1/*): translated into a profile record and maybe an
// event, validated, with its raw row. The content hash is the messageId's, so a message sent twice
// (a client retry, a replayed queue) is stored and counted once, however far apart the copies are.
import { findTooDeep, storableJson } from '../../domain/json-value.ts'
import type { FieldIssue, IncomingRecord } from '../../domain/types.ts'
import { type DeviceFacts, type InterestProperty, MAX_MESSAGE_BYTES, type MessageType, translateMessage } from '../../collect/segment-spec.ts'
import { policyForSource, type QualityPolicies, validateRecord, type ValidateOptions } from '../validate/index.ts'
import { MESSAGE_CONTENT_TYPE, type PreparedRecord } from '../records.ts'
import { acceptedRecord, contentHash, rejectedRecord, tooDeepRecord } from './raw-record.ts'

export interface MessageBatchContext {
  source: string
  batchId: string
  receivedAt: number
  /** The batch's sentAt, for clock-skew correction of messages without their own. */
  sentAt?: unknown
  impliedType?: MessageType
  /** The request's IP and user agent, for messages that name none (MessageBatch.client). */
  client?: DeviceFacts
}

export function createPrepareMessage(deps: {
  validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>
  qualityPolicies: QualityPolicies
  interestProperties: readonly InterestProperty[] | undefined
}) {
  return function prepareMessage(record: IncomingRecord, batch: MessageBatchContext): PreparedRecord {
    const { batchId, receivedAt, source } = batch
    const base = { batchId, receivedAt, source, contentType: MESSAGE_CONTENT_TYPE, recordIndex: record.index }
    const tooDeep = findTooDeep(record.value)
    if (tooDeep !== null) return tooDeepRecord(record, base, tooDeep)
    const payload = JSON.stringify(record.value) ?? 'null'
    const translated = translateMessage(storableJson(record.value), { receivedAt, sentAt: batch.sentAt, impliedType: batch.impliedType, interestProperties: deps.interestProperties, consentPurposes: deps.validate.consentPurposes })
    const raw = { ...base, payload, contentHash: contentHash(source, `message:${translated.messageId}`) }
    const rejected = (errors: FieldIssue[]) => rejectedRecord(record.index, { ...raw, cookie: translated.anonymousId }, errors)
    if (Buffer.byteLength(payload) > MAX_MESSAGE_BYTES) {
      return rejected([{ field: '', reason: 'too_large', message: `a message may be at most ${MAX_MESSAGE_BYTES / 1024} KB, this one is ${(Buffer.byteLength(payload) / 1024).toFixed(1)} KB: send large properties elsewhere or split them` }])
    }
    if (!translated.record) return rejected(translated.errors)
    const result = validateRecord(translated.record, { ...deps.validate, receivedAt, onInvalid: policyForSource(deps.qualityPolicies, source) })
    if (result.kind === 'rejected') return rejected(result.detail.errors)
    const { messageId, event, anonymousId, userId, keyedByUserId } = translated
    // The message's own context wins, field by field, over the request it came in.
    const client = batch.client
    const device = client ? { ip: translated.device?.ip ?? client.ip, userAgent: translated.device?.userAgent ?? client.userAgent } : translated.device
    return acceptedRecord(record.index, raw, result.value, { messageId, event, anonymousId, userId, keyedByUserId, ...(device ? { device } : {}) })
  }
}

/**
 * A batch resolves as its messages would one by one, in order. One by one, a message that carries
 * only a userId goes where the store last linked that userId (its "uid:" cookie). A link made by
 * an earlier message of the same batch (a message with an anonymousId and that userId, or an
 * alias) is only stored when that message commits, so the batch is cut before the first message
 * that depends on it, and the parts commit in order. Real clients rarely need a cut (browsers
 * send an anonymousId with every message); a retry of the whole batch skips the parts already
 * stored (the raw store's content hash), as it does for a large batch written in parts.
 */
export function cutBeforeUserIdMessages(prepared: readonly PreparedRecord[]): PreparedRecord[][] {
  let current: PreparedRecord[] = []
  const parts = [current]
  let linked = new Set<string>()
  for (const p of prepared) {
    const userId = p.observation ? p.message?.userId : null
    if (userId && p.message?.keyedByUserId && linked.has(userId)) {
      current = []
      parts.push(current)
      linked = new Set()
    }
    current.push(p)
    if (userId && !p.message?.keyedByUserId) linked.add(userId)
  }
  return parts
}
