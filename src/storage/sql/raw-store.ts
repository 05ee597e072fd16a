// The raw store: every record as received, written inside the ingest transaction and read by the
// raw records API and cdp replay.
import type { Kysely, Selectable } from 'kysely'
import type { FieldIssue } from '../../domain/types.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import type { RawRecordReader, RawRecordWriter } from '../ports/raw.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { Database, RawRecordsTable } from './schema.ts'

export function rawFromRow(row: Selectable<RawRecordsTable>): StoredRawRecord {
  return {
    id: Number(row.id),
    batchId: row.batch_id,
    receivedAt: Number(row.received_at),
    source: row.source,
    contentType: row.content_type,
    recordIndex: row.record_index,
    payload: row.payload,
    contentHash: row.content_hash,
    status: row.status,
    errors: row.errors === null ? null : (JSON.parse(row.errors) as FieldIssue[]),
    cookie: row.cookie,
    email: row.email,
    observedAt: row.observed_at === null ? null : Number(row.observed_at),
    supersededBy: row.superseded_by === null || row.superseded_by === undefined ? null : Number(row.superseded_by),
  }
}

export function createRawTransaction(trx: Trx, dialect: SqlDialect): RawRecordWriter {
  return {
    async insertRawRecords(rows) {
      const values = rows.map((r) => ({
        batch_id: r.batchId,
        received_at: r.receivedAt,
        source: r.source,
        content_type: r.contentType,
        record_index: r.recordIndex,
        payload: r.payload,
        content_hash: r.contentHash,
        status: r.status,
        errors: r.errors === null ? null : JSON.stringify(r.errors),
        cookie: r.cookie,
        email: r.email,
        observed_at: r.observedAt,
      }))
      return dialect.insertReturningIds(trx, values)
    },

    async rawBatchIds(contentHashes) {
      const found = new Map<string, string>()
      for (const part of chunks(contentHashes, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').select(['content_hash', 'batch_id']).where('content_hash', 'in', part).execute()
        for (const row of rows) found.set(row.content_hash, row.batch_id)
      }
      return found
    },

    async updateRawOutcomes(rows) {
      for (const row of rows) {
        await trx
          .updateTable('raw_records')
          .set({
            status: row.status,
            errors: row.errors === null ? null : JSON.stringify(row.errors),
            cookie: row.cookie,
            email: row.email,
            observed_at: row.observedAt,
          })
          .where('id', '=', row.id)
          .execute()
      }
    },

    async supersedeRawRecords(rows) {
      for (const row of rows) {
        await trx.updateTable('raw_records').set({ status: 'superseded', superseded_by: row.by }).where('id', '=', row.id).where('status', '=', 'rejected').execute()
      }
    },

    async rawIdsByHash(contentHashes) {
      const found = new Map<string, number>()
      for (const part of chunks(contentHashes, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').select(['content_hash', 'id']).where('content_hash', 'in', part).execute()
        for (const row of rows) found.set(row.content_hash, Number(row.id))
      }
      return found
    },
  }
}

export function createRawReader(reader: Kysely<Database>): RawRecordReader {
  return {
    async listRawRecords({ status, limit, afterId, source, ids }) {
      let query = reader.selectFrom('raw_records').selectAll().orderBy('id').limit(limit)
      if (ids) query = query.where('id', 'in', ids.length > 0 ? [...ids] : [-1])
      if (status) query = query.where('status', '=', status)
      if (source) query = query.where('source', '=', source)
      if (afterId !== undefined) query = query.where('id', '>', afterId)
      return (await query.execute()).map(rawFromRow)
    },
  }
}
