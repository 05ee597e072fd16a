// The planner's statistics are refreshed after a large load, without anyone asking: PostgreSQL may
// run without autovacuum, and SQLite never gathers them by itself.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewRawRecord } from '../../src/domain/raw-record.ts'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createSqlStore } from '../../src/storage/sql/sql-store.ts'
import type { Store } from '../../src/storage/ports/store.ts'
import { backend, createTestDatabase, type TestDatabase } from '../helpers/db.ts'

let testDb: TestDatabase
let database: SqlDatabase
let store: Store
const ROWS = 300

beforeAll(async () => {
  testDb = await createTestDatabase()
  database = await openDatabase(testDb.config)
  store = createSqlStore(database, { statistics: { minRows: ROWS, maxRows: ROWS } })
})
afterAll(async () => {
  await store.close()
  await testDb.drop()
})

function aRawRecord(i: number): NewRawRecord {
  return {
    batchId: 'bat_stats',
    receivedAt: 1_700_000_000_000,
    source: 'test',
    contentType: 'application/json',
    recordIndex: i,
    payload: JSON.stringify({ email: `stats${i}@example.org` }),
    contentHash: `stats-${i}`,
    status: 'accepted',
    errors: null,
    cookie: `c${i}`,
    email: `stats${i}@example.org`,
    observedAt: null,
  }
}

/** What the planner knows of raw_records: PostgreSQL's row estimate, SQLite's sqlite_stat1 entry. */
async function rawRecordsStatistics(): Promise<number | null> {
  if (backend === 'postgres') {
    const { rows } = await sql<{ reltuples: number }>`select reltuples from pg_class where relname = 'raw_records'`.execute(database.db)
    const estimate = Number(rows[0]?.reltuples)
    return estimate >= 0 ? estimate : null // -1: never analyzed
  }
  // Each index's entry starts with the rows it covers; partial indexes cover fewer.
  const { rows } = await sql<{ n: number | null }>`select max(cast(stat as integer)) as n from sqlite_stat1 where tbl = 'raw_records'`
    .execute(database.db)
    .catch(() => ({ rows: [] })) // no sqlite_stat1 table before the first ANALYZE
  return rows[0]?.n ?? null
}

describe('statistics after a large load', () => {
  it('are refreshed in the background once the rows written pass the threshold', async () => {
    await store.ingestTransaction((tx) => tx.insertRawRecords(Array.from({ length: ROWS - 1 }, (_, i) => aRawRecord(i))))
    // Below the threshold nothing ran.
    expect(await rawRecordsStatistics()).toBeNull()
    await store.ingestTransaction((tx) => tx.insertRawRecords([aRawRecord(ROWS - 1), aRawRecord(0)])) // one new, one known
    const deadline = Date.now() + 10_000
    let estimate = await rawRecordsStatistics()
    while (estimate === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      estimate = await rawRecordsStatistics()
    }
    expect(estimate).toBe(ROWS)
  })
})
