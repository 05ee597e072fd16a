// The Store over Kysely: one implementation for SQLite and PostgreSQL, composed from one file per
// port; what the engines do differently is the dialect's (dialect/). Hot paths write one multi-row
// statement per table per batch.
import { storageUnavailable } from './faults.ts'
import type { IngestTransaction } from '../ports/ingest.ts'
import type { Store } from '../ports/store.ts'
import { createCohortStore, createMembershipTransaction } from './cohort-store.ts'
import { createConsentReader, createConsentTransaction } from './consent-store.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { createEventStore, createEventTransaction } from './event-store.ts'
import { createIdentityTransaction } from './identity-store.ts'
import { createLikelyMatchTransaction } from './likely-match-store.ts'
import { createApiKeyStore } from './key-store.ts'
import type { SqlDatabase } from './open.ts'
import { createProfileReader, createProfileRows } from './profile-store.ts'
import { createRawReader, createRawTransaction } from './raw-store.ts'
import { createSegmentStore, createSegmentTransaction } from './segment-store.ts'
import { createStatsReader } from './stats-store.ts'
import { createStatisticsKeeper, type StatisticsKeeperOptions } from './statistics.ts'

const MAX_ATTEMPTS = 8

function createIngestTransaction(trx: Trx, dialect: SqlDialect): IngestTransaction {
  return {
    ...createSegmentTransaction(trx, dialect),
    ...createEventTransaction(trx, dialect),
    ...createRawTransaction(trx, dialect),
    ...createIdentityTransaction(trx, dialect, createProfileRows(trx, dialect)),
    ...createMembershipTransaction(trx, dialect),
    ...createConsentTransaction(trx, dialect),
    ...createLikelyMatchTransaction(trx, dialect),
  }
}

export interface SqlStoreOptions {
  log?: (message: string) => void
  /** When the planner's statistics are refreshed as data grows (statistics.ts). */
  statistics?: Pick<StatisticsKeeperOptions, 'minRows' | 'maxRows'>
}

export function createSqlStore(database: SqlDatabase, options: SqlStoreOptions = {}): Store {
  const { db, reader, dialect } = database
  const statistics = createStatisticsKeeper({ refresh: () => dialect.optimize(db), log: options.log, ...options.statistics })
  return {
    ...createSegmentStore(database),
    ...createEventStore(database),
    ...createProfileReader(database),
    ...createCohortStore(database),
    ...createRawReader(reader),
    ...createApiKeyStore(database),
    ...createConsentReader(reader),
    ...createStatsReader(reader),
    engine: dialect.name,
    groupCommit: dialect.groupCommit,
    isUnreadableValue: (error) => dialect.isUnreadableValue(error),
    describeOutage: storageUnavailable,

    async ingestTransaction(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          // Raw records stand for the rows a transaction writes: each record adds its own and those of its profile or event.
          let written = 0
          const result = await db.transaction().execute((trx) => {
            const tx = createIngestTransaction(trx, dialect)
            const insertRawRecords: typeof tx.insertRawRecords = async (rows) => {
              const inserted = await tx.insertRawRecords(rows)
              written += inserted.size
              return inserted
            }
            return work({ ...tx, insertRawRecords })
          })
          statistics.noteWrites(written)
          return result
        } catch (error) {
          // A unique violation or deadlock means a concurrent batch claimed the same identifier
          // first; running the whole batch again sees its result and merges into it.
          if (attempt >= MAX_ATTEMPTS || !dialect.isRetryable(error)) throw error
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt))
        }
      }
    },

    optimize: () => dialect.optimize(db),

    async close() {
      // A refresh in flight uses the connection: it ends first.
      await statistics.settled()
      await database.close()
    },
  }
}
