// Second chances for rejected records, over the same stages as ingest: `replay` runs stored
// rejected records through the current rules again, `ingestCorrections` takes corrected copies.
import { newBatchId } from '../domain/ids.ts'
import type { StoredRawRecord } from '../domain/raw-record.ts'
import type { Outcome } from '../domain/outcome.ts'
import type { IncomingRecord } from '../domain/types.ts'
import type { IngestTransaction, TransactionRunner } from '../storage/ports/ingest.ts'
import type { BatchObservation } from './identity/resolve-batch.ts'
import type { RecordBatch } from './prepare/record.ts'
import type { StoredRecord } from './prepare/stored-record.ts'
import { type GroupBatch, MESSAGE_CONTENT_TYPE, type MessagePart, type PreparedRecord } from './records.ts'
import { emptyReport, type IngestReport, mergeReports } from './report.ts'
import { validateRecord, type ValidateOptions } from './validate/index.ts'

export function createReplay(deps: {
  store: TransactionRunner
  readStoredRecord: (row: StoredRawRecord) => Outcome<StoredRecord, unknown>
  /** How a stored row validates now: its source's policy, at the time it was received. */
  validateOf: (row: StoredRawRecord) => ValidateOptions
  prepareRecord: (record: IncomingRecord, batch: RecordBatch) => PreparedRecord
  /** The stages after the raw store (identity, events, cohorts, segments), in one transaction. */
  apply: (tx: IngestTransaction, items: BatchObservation[], messages: ReadonlyMap<number, MessagePart>, now: number, reason: string) => Promise<{ segments: Set<string> }>
  /** Raw store and the stages after it, for new raw rows; `afterRawInsert` runs in the same transaction. */
  writeGroup: (group: readonly GroupBatch[], afterRawInsert?: (tx: IngestTransaction, inserted: ReadonlyMap<string, number>) => Promise<void>) => Promise<IngestReport[]>
  notifySegments: (changed: Set<string>) => void
  log: (message: string) => void
}) {
  /**
   * Runs stored rejected records through the current rules again (after a fix to the rules or the
   * configuration); those that pass now are applied as if they had just arrived.
   */
  async function replay(rows: readonly StoredRawRecord[]): Promise<{ replayed: number; accepted: number; stillRejected: number }> {
    const now = Date.now()
    const results = rows.map((row) => {
      const stored = deps.readStoredRecord(row)
      if (stored.kind === 'rejected') {
        // Not the detail: a JSON parse error quotes the start of the payload, which may be an identifier.
        deps.log(`replay: raw record ${row.id} ${stored.reason}; it stays rejected`)
        return { row, result: null, message: undefined }
      }
      return { row, result: validateRecord(stored.value.record, deps.validateOf(row)), message: stored.value.message }
    })
    const outcome = await deps.store.ingestTransaction(async (tx) => {
      const items: BatchObservation[] = []
      const messages = new Map<number, MessagePart>()
      const updates: Parameters<IngestTransaction['updateRawOutcomes']>[0] = []
      for (const { row, result, message } of results) {
        if (!result || result.kind !== 'ok') continue
        const { observation: o, warnings } = result.value
        updates.push({ id: row.id, status: 'accepted', errors: warnings.length > 0 ? warnings : null, cookie: o.cookie, email: o.email, observedAt: o.observedAt })
        items.push({ observation: o, rawId: row.id, source: row.source })
        if (message) messages.set(row.id, { ...message, at: o.observedAt, receivedAt: row.receivedAt })
      }
      // The raw rows' new outcome first, in the same transaction as what it changes in profiles.
      await tx.updateRawOutcomes(updates)
      const applied = await deps.apply(tx, items, messages, now, 'replay of rejected records')
      return { replayed: rows.length, accepted: items.length, stillRejected: rows.length - items.length, segments: applied.segments }
    })
    deps.notifySegments(outcome.segments)
    return { replayed: outcome.replayed, accepted: outcome.accepted, stillRejected: outcome.stillRejected }
  }

  /**
   * Corrected copies of rejected records (`cdp replay --map/--patch`). Each copy goes in as if it had
   * just arrived, with the original's source, content type and receipt time, as a raw record of its
   * own; in the same transaction the original is marked superseded and points at the copy (or at the
   * identical record already stored). So the raw store keeps both as received, a later replay of
   * rejected records never picks the bad original up again, and a copy still invalid is the one a
   * further fix replays. Segment-spec messages are not corrected here (their identity is the messageId).
   */
  async function ingestCorrections(corrections: ReadonlyArray<{ original: StoredRawRecord; value: unknown }>): Promise<IngestReport> {
    const batchId = newBatchId()
    const now = Date.now()
    const bySource = new Map<string, PreparedRecord[]>()
    const originalsByHash = new Map<string, number[]>()
    for (const { original, value } of corrections) {
      if (original.contentType === MESSAGE_CONTENT_TYPE) throw new Error(`raw record ${original.id} is a Segment-spec message: it cannot be corrected, only replayed`)
      const p = deps.prepareRecord({ index: original.recordIndex, value }, { source: original.source, contentType: original.contentType, batchId, receivedAt: original.receivedAt })
      const list = bySource.get(original.source) ?? []
      list.push(p)
      bySource.set(original.source, list)
      originalsByHash.set(p.raw.contentHash, [...(originalsByHash.get(p.raw.contentHash) ?? []), original.id])
    }
    const group = [...bySource].map(([source, prepared]) => ({ prepared, batch: { batchId, receivedAt: now, source } }))
    if (group.length === 0) return emptyReport(batchId)
    const reports = await deps.writeGroup(group, async (tx, inserted) => {
      const missing = [...originalsByHash.keys()].filter((hash) => !inserted.has(hash))
      const existing = missing.length > 0 ? await tx.rawIdsByHash(missing) : new Map<string, number>()
      const rows: Array<{ id: number; by: number | null }> = []
      for (const [hash, ids] of originalsByHash) for (const id of ids) rows.push({ id, by: inserted.get(hash) ?? existing.get(hash) ?? null })
      await tx.supersedeRawRecords(rows)
    })
    return mergeReports(reports)
  }

  return { replay, ingestCorrections }
}
