import { describe, expect, it } from 'vitest'
import { createPrepareRecord } from '../prepare/record.ts'
import { DEFAULT_QUALITY_POLICIES } from '../validate/index.ts'
import type { GroupBatch } from '../records.ts'
import type { RawRecordWriter } from '../../storage/ports/raw.ts'
import { createStoreRawStage } from './stage.ts'

const prepare = createPrepareRecord({ validate: { emailBlocklist: new Set() }, qualityPolicies: DEFAULT_QUALITY_POLICIES })

function batch(batchId: string, values: unknown[]): GroupBatch {
  const context = { source: 'test', contentType: 'json', batchId, receivedAt: 1 }
  return { prepared: values.map((value, index) => prepare({ index, value }, context)), batch: { batchId, receivedAt: 1, source: 'test' } }
}

/** A raw store that already holds `known` (content hash -> batch id) and numbers new rows from 1. */
function fakeWriter(known: Map<string, string> = new Map()): RawRecordWriter & { inserted: string[] } {
  const inserted: string[] = []
  return {
    inserted,
    async insertRawRecords(rows) {
      const ids = new Map<string, number>()
      for (const row of rows) {
        if (known.has(row.contentHash)) continue
        inserted.push(row.contentHash)
        ids.set(row.contentHash, inserted.length)
      }
      return ids
    },
    async rawBatchIds(hashes) {
      return new Map(hashes.flatMap((h) => (known.has(h) ? [[h, known.get(h) as string] as const] : [])))
    },
    async updateRawOutcomes() {},
    async supersedeRawRecords() {},
    async rawIdsByHash() {
      return new Map()
    },
  }
}

describe('the raw store stage', () => {
  it('stores each record once across a group, and counts copies in the batch that sent them', async () => {
    const storeRaw = createStoreRawStage()
    const tx = fakeWriter()
    const a = { cookie: 'a' }
    const result = await storeRaw(tx, [batch('b1', [a, a, { cookie: 'b' }]), batch('b2', [a, { cookie: 'c' }])])
    expect(tx.inserted).toHaveLength(3)
    expect(result.counts.map((c) => [c.accepted, c.duplicates, c.duplicatesInBatch])).toEqual([
      [2, 1, 1],
      [1, 1, 0],
    ])
    expect(result.items.map((i) => i.observation.cookie)).toEqual(['a', 'b', 'c'])
  })

  it('skips what the store already holds, counting rejected copies by reason', async () => {
    const storeRaw = createStoreRawStage()
    const bad = batch('old', [{ email: 'x@example.org' }])
    const known = new Map([[bad.prepared[0]?.raw.contentHash as string, 'b1']])
    const result = await storeRaw(fakeWriter(known), [batch('b1', [{ email: 'x@example.org' }])])
    expect(result.items).toEqual([])
    expect(result.counts[0]).toMatchObject({ accepted: 0, duplicates: 1, duplicatesInBatch: 1, rejectedDuplicates: { missing_cookie: 1 } })
  })
})
