// The consent history over Kysely: one multi-row insert per batch, and the per-profile reader.
import type { Kysely } from 'kysely'
import type { ConsentChange } from '../../domain/consent.ts'
import type { ConsentReader, ConsentTransaction } from '../ports/consent.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import type { Database } from './schema.ts'

export function createConsentTransaction(trx: Trx, dialect: SqlDialect): ConsentTransaction {
  return {
    async insertConsentChanges(rows) {
      if (rows.length === 0) return
      await dialect.upsertMany(
        trx,
        'consent_changes',
        rows.map((r) => ({ profile_id: r.profileId, purpose: r.purpose, granted: r.granted ? 1 : 0, at: r.at, source: r.source, raw_id: r.rawId })),
        { conflict: ['id'], update: [] },
      )
    },
  }
}

export function createConsentReader(reader: Kysely<Database>): ConsentReader {
  return {
    async listConsentChanges(profileId) {
      const rows = await reader
        .selectFrom('consent_changes')
        .select(['profile_id', 'purpose', 'granted', 'at', 'source', 'raw_id'])
        .where('profile_id', '=', profileId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .execute()
      return rows.map(
        (r): ConsentChange => ({
          profileId: r.profile_id,
          purpose: r.purpose,
          granted: Number(r.granted) === 1,
          at: Number(r.at),
          source: r.source,
          rawId: r.raw_id === null ? null : Number(r.raw_id),
        }),
      )
    },
  }
}
