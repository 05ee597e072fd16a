// The raw store: what reads it (the raw records API, cdp replay) and what an ingest transaction writes to it.
import type { FieldIssue } from '../../domain/types.ts'
import type { NewRawRecord, StoredRawRecord } from '../../domain/raw-record.ts'

export interface RawRecordReader {

  listRawRecords(input: { status: StoredRawRecord['status'] | undefined; limit: number; afterId: number | undefined; source?: string; ids?: readonly number[] }): Promise<StoredRawRecord[]>
}

/** The raw half of an ingest transaction: append as received, then record outcomes. */
export interface RawRecordWriter {
  /** Inserts raw rows; returns the ids of those that were new (a known content hash is skipped). */
  insertRawRecords(rows: NewRawRecord[]): Promise<Map<string, number>>
  /** The batch that first stored each of these content hashes. */
  rawBatchIds(contentHashes: string[]): Promise<Map<string, string>>
  /** Records a new processing outcome for raw rows (replay after a fix); the payload never changes. */
  updateRawOutcomes(
    rows: Array<{ id: number; status: 'accepted' | 'rejected'; errors: FieldIssue[] | null; cookie: string | null; email: string | null; observedAt: number | null }>,
  ): Promise<void>
  /**
   * Marks rejected raw rows as replaced by a corrected copy (`by`: its raw id, or null when that copy
   * was stored already). Only the outcome changes; the payload stays as received.
   */
  supersedeRawRecords(rows: Array<{ id: number; by: number | null }>): Promise<void>
  /** Raw ids by content hash, for hashes already stored. */
  rawIdsByHash(contentHashes: string[]): Promise<Map<string, number>>
}
