// The raw store: every record of a group, accepted or rejected, is appended as received, once. What
// comes out is what later stages work on: the accepted records stored for the first time.
import type { BatchObservation } from '../identity/resolve-batch.ts'
import type { GroupBatch, MessagePart, PreparedRecord } from '../records.ts'
import { countReason, emptyRawCounts, type RawCounts, rejectionReason } from '../report.ts'
import type { RawRecordWriter } from '../../storage/ports/raw.ts'

export interface StoredRaw {
  /** Per batch of the group, in order. */
  counts: RawCounts[]
  /** Accepted records stored for the first time, for identity. */
  items: BatchObservation[]
  /** Their messages, by raw id. */
  messages: Map<number, MessagePart>
  /** Content hash -> raw id of the rows inserted. */
  inserted: ReadonlyMap<string, number>
}

export function createStoreRawStage() {
  return async function storeRaw(tx: RawRecordWriter, group: readonly GroupBatch[]): Promise<StoredRaw> {
    const counts = group.map(() => emptyRawCounts())
    const countRejectedDuplicate = (c: RawCounts, p: PreparedRecord) => {
      if (!p.observation) countReason(c.rejectedDuplicates, rejectionReason(p))
    }
    // The first copy of a record wins, across the group too; the store skips copies seen before.
    const unique = new Map<string, { p: PreparedRecord; owner: number }>()
    group.forEach(({ prepared, batch }, owner) => {
      for (const p of prepared) {
        const first = unique.get(p.raw.contentHash)
        if (!first) {
          unique.set(p.raw.contentHash, { p, owner })
          continue
        }
        const c = counts[owner] as RawCounts
        c.duplicates++
        countRejectedDuplicate(c, p)
        if (group[first.owner]?.batch.batchId === batch.batchId) c.duplicatesInBatch++
      }
    })
    const inserted = await tx.insertRawRecords([...unique.values()].map(({ p }) => p.raw))
    const items: BatchObservation[] = []
    const messages = new Map<number, MessagePart>()
    const skipped: Array<{ hash: string; owner: number; p: PreparedRecord }> = []
    for (const { p, owner } of unique.values()) {
      const rawId = inserted.get(p.raw.contentHash)
      const c = counts[owner] as RawCounts
      const { source, receivedAt } = (group[owner] as GroupBatch).batch
      if (rawId === undefined) skipped.push({ hash: p.raw.contentHash, owner, p })
      else if (p.observation) {
        items.push({ observation: p.observation, rawId, source })
        c.accepted++
        c.rawIds.push(rawId)
        if (p.message) messages.set(rawId, { ...p.message, at: p.observation.observedAt, receivedAt })
      }
    }
    if (skipped.length > 0) {
      const batchOf = await tx.rawBatchIds(skipped.map((s) => s.hash))
      for (const { hash, owner, p } of skipped) {
        const c = counts[owner] as RawCounts
        c.duplicates++
        countRejectedDuplicate(c, p)
        if (batchOf.get(hash) === group[owner]?.batch.batchId) c.duplicatesInBatch++
      }
    }
    return { counts, items, messages, inserted }
  }
}
