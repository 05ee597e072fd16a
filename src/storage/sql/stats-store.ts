// The overview's figures: counts over whole tables and per-day buckets. Each query is one scan or one
// index count; api/routes/stats.ts caches the result, so no request waits for a million-row count.
import { type Kysely, sql } from 'kysely'
import type { StatsReader } from '../ports/stats.ts'
import type { Database } from './schema.ts'

/** Up to this many raw records, grouping them by day in one scan is cheaper than the range searches. */
const SCAN_LIMIT = 50_000

export function createStatsReader(reader: Kysely<Database>): StatsReader {
  return {
    async readStats({ since, bucketMs, rejectedSample }) {
      // Integer division on an integer column is integer division on both engines; the literal keeps it an integer.
      const size = Math.max(1, Math.floor(bucketMs))
      const bucket = sql.lit(size)
      const series = (rows: Array<{ b: number; n: number }>) =>
        rows.map((r) => ({ start: Number(r.b) * size, count: Number(r.n) })).sort((a, b) => a.start - b.start)
      const profiles = await reader
        .selectFrom('profiles')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('email').as('identified')])
        .executeTakeFirstOrThrow()
      const events = await reader.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      const raw = await reader.selectFrom('raw_records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      // The partial indexes on status make these two counts index scans.
      const rejected = await reader.selectFrom('raw_records').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'rejected').executeTakeFirstOrThrow()
      const superseded = await reader.selectFrom('raw_records').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'superseded').executeTakeFirstOrThrow()
      // A small raw store is grouped in one scan; a large one by primary-key ranges (see ingestsPerBucket).
      const ingests =
        Number(raw.n) <= SCAN_LIMIT
          ? series(
              await reader
                .selectFrom('raw_records')
                .select([sql<number>`received_at / ${bucket}`.as('b'), (eb) => eb.fn.countAll<number>().as('n')])
                .where('received_at', '>=', since)
                .groupBy(sql`received_at / ${bucket}`)
                .execute(),
            )
          : await ingestsPerBucket(reader, since, size)
      const eventsOverTime = await reader
        .selectFrom('events')
        .select([sql<number>`at / ${bucket}`.as('b'), (eb) => eb.fn.countAll<number>().as('n')])
        .where('at', '>=', since)
        .groupBy(sql`at / ${bucket}`)
        .execute()
      const latestRejected = await reader
        .selectFrom('raw_records')
        .select('errors')
        .where('status', '=', 'rejected')
        .orderBy('id', 'desc')
        .limit(rejectedSample)
        .execute()
      const reasons = new Map<string, number>()
      for (const row of latestRejected) {
        const issues = row.errors ? (JSON.parse(row.errors) as Array<{ reason?: string; field?: string }>) : []
        // One count per record and reason: a record with two bad fields of one kind counts once.
        for (const reason of new Set(issues.map((i) => i.reason ?? 'invalid'))) reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
      }
      return {
        profiles: Number(profiles.n),
        identified: Number(profiles.identified),
        events: Number(events.n),
        raw: { total: Number(raw.n), rejected: Number(rejected.n), superseded: Number(superseded.n) },
        ingests,
        eventsOverTime: series(eventsOverTime),
        rejectedReasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      }
    },
  }
}

/**
 * Raw records received per bucket without scanning their rows (a table of payloads): ids grow with
 * received_at, so each bucket's first id is found by a binary search over the primary key (a few
 * dozen point reads), and each bucket's count is a range count on the primary key.
 */
async function ingestsPerBucket(reader: Kysely<Database>, since: number, size: number): Promise<Array<{ start: number; count: number }>> {
  const bounds = await reader.selectFrom('raw_records').select((eb) => [eb.fn.min<number>('id').as('lo'), eb.fn.max<number>('id').as('hi')]).executeTakeFirstOrThrow()
  if (bounds.lo === null || bounds.hi === null) return []
  const hi = Number(bounds.hi)
  /** The received_at of the first record at or after id `from` (ids may have gaps: erased records). */
  const receivedAt = async (from: number) => {
    const row = await reader.selectFrom('raw_records').select(['id', 'received_at']).where('id', '>=', from).orderBy('id').limit(1).executeTakeFirst()
    return row ? { id: Number(row.id), at: Number(row.received_at) } : undefined
  }
  /** The first id whose record was received at or after `at`, searching from `lo`; hi + 1 when none. */
  const firstIdFrom = async (lo: number, at: number) => {
    let low = lo
    let high = hi + 1
    while (low < high) {
      const mid = Math.floor((low + high) / 2)
      const row = await receivedAt(mid)
      if (!row || row.at >= at) high = mid
      else low = row.id + 1
    }
    return low
  }
  const now = Date.now()
  const buckets: Array<{ start: number; count: number }> = []
  let from = await firstIdFrom(Number(bounds.lo), since)
  for (let start = since; start <= now && from <= hi; start += size) {
    // A day with no records costs one read: the next record is past its end.
    const first = await receivedAt(from)
    if (!first) break
    if (first.at >= start + size) continue
    const next = await firstIdFrom(from, start + size)
    let count = 0
    if (next > from) {
      const row = await reader.selectFrom('raw_records').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '>=', from).where('id', '<', next).executeTakeFirstOrThrow()
      count = Number(row.n)
    }
    if (count > 0) buckets.push({ start, count })
    from = next
  }
  return buckets
}
