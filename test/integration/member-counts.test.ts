// Member counters (segments, cohorts) move by the sum of a transaction's deltas, whatever the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

let testDb: TestDatabase
let database: SqlDatabase

beforeAll(async () => {
  testDb = await createTestDatabase()
  database = await openDatabase(testDb.config)
})
afterAll(async () => {
  await database.close()
  await testDb.drop()
})

describe('member counters', () => {
  it('add every delta, several for one id included, in one call', async () => {
    const { db, dialect } = database
    await db
      .insertInto('cohorts')
      .values(['coh_a', 'coh_b'].map((id) => ({ id, name: id, name_key: id, description: '', terms: '[]', members: 10, created_at: 0 })))
      .execute()
    await db.transaction().execute((trx) =>
      dialect.addMembers(trx, 'cohorts', [
        ['coh_a', -1],
        ['coh_a', -1],
        ['coh_b', 3],
      ]),
    )
    const rows = await db.selectFrom('cohorts').select(['id', 'members']).where('id', 'in', ['coh_a', 'coh_b']).orderBy('id').execute()
    expect(rows.map((r) => [r.id, Number(r.members)])).toEqual([
      ['coh_a', 8],
      ['coh_b', 13],
    ])
  })
})
