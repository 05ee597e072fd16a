// Group commit for a database with one writer (SQLite). Batches that arrive while another is being
// written wait and then go in together, in one transaction: SQLite has one writer, so they would
// have waited anyway, and one commit writes each touched page once instead of once per batch (+30%
// events/s at 4 batches in flight, docs/benchmarks.md). A batch that finds the writer idle starts on
// the next turn of the event loop, so nothing waits for company. No SQL here: the queue only
// chooses groups and hands them to the write callback.
import type { QueuedBatches, WriteQueue } from '../ports/write-queue.ts'

/**
 * Records in one group commit at most: bounds a transaction's memory and, since a transaction cannot
 * be interrupted, how long a real-time event can wait behind one (1,000 events with event segments
 * take ~100-200 ms here).
 */
export const MAX_GROUP_RECORDS = 1_000
/** Batches this small go first into the next group. */
export const SMALL_BATCH = 50

export interface WriteQueueOptions {
  /**
   * Batches larger than this are written in parts of this size. The server sets it (with
   * `transactionMs`) so that no transaction blocks real-time events for long: better-sqlite3 holds
   * the event loop while a transaction runs. Bulk loaders leave both unset and write whole batches.
   */
  transactionRecords?: number
  /** How long one transaction should take; parts are grouped up to what fits, as measured. */
  transactionMs?: number
}

interface Pending<B, R> {
  batch: B
  size: number
  resolve: (result: R) => void
  reject: (error: unknown) => void
}

export function createWriteQueue<B, R>(batches: QueuedBatches<B, R>, options: WriteQueueOptions = {}): WriteQueue<B, R> {
  const { transactionRecords, transactionMs } = options
  const pending: Array<Pending<B, R>> = []
  let writing = false
  let drainScheduled = false
  let lastWasSmall = false
  /** Recent cost of a record in a transaction (moving average): sizes groups to `transactionMs`. */
  let msPerRecord = 0.1

  function enqueue(batch: B): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      pending.push({ batch, size: batches.size(batch), resolve, reject })
      scheduleDrain()
    })
  }

  /**
   * Starts the next transaction after the event loop's I/O phase, never from inside it: every request
   * read in that phase is queued first, so the next group is chosen among all of them (small first).
   */
  function scheduleDrain(): void {
    if (drainScheduled) return
    drainScheduled = true
    setImmediate(() => {
      drainScheduled = false
      drain()
    })
  }

  function drain(): void {
    if (writing || pending.length === 0) return
    // Small batches (a page view, a login: the real-time path) go first and by themselves, so a single
    // event waits for at most the transaction being written, never for a queue of bulk batches, and
    // its own transaction stays small. Bulk takes every other turn when both wait, so a stream of
    // small batches cannot starve it.
    const small = pending.filter((p) => p.size <= SMALL_BATCH)
    const bulkWaiting = small.length < pending.length
    const smallTurn = small.length > 0 && !(bulkWaiting && lastWasSmall)
    const ordered = smallTurn ? small : pending.filter((p) => p.size > SMALL_BATCH)
    lastWasSmall = smallTurn
    const group: Array<Pending<B, R>> = []
    let records = 0
    const limit =
      transactionMs !== undefined
        ? Math.max(transactionRecords ?? 1, Math.min(MAX_GROUP_RECORDS, Math.round(transactionMs / msPerRecord)))
        : (transactionRecords ?? MAX_GROUP_RECORDS)
    for (const next of ordered) {
      if (group.length > 0 && records + next.size > limit) break
      group.push(next)
      records += next.size
    }
    const taken = new Set(group)
    pending.splice(0, pending.length, ...pending.filter((p) => !taken.has(p)))
    writing = true
    const started = performance.now()
    batches
      .write(group.map((g) => g.batch))
      .then((results) => {
        if (records > 0) msPerRecord = 0.7 * msPerRecord + (0.3 * (performance.now() - started)) / records
        return results
      })
      .then(
        (results) => group.forEach((g, i) => g.resolve(results[i] as R)),
        // A failure must stay with the batch that caused it: alone, each batch succeeds or fails on its own.
        async (error: unknown) => {
          if (group.length === 1) return group[0]?.reject(error)
          for (const g of group) {
            await batches.write([g.batch]).then(
              (results) => g.resolve(results[0] as R),
              (own: unknown) => g.reject(own),
            )
          }
        },
      )
      .finally(() => {
        writing = false
        // Through the event loop's I/O phase first: requests that arrived during the transaction
        // (better-sqlite3 blocks while it runs) are read and queued, so small ones go next.
        scheduleDrain()
      })
  }

  return {
    submit(batch) {
      if (transactionRecords === undefined || batches.size(batch) <= transactionRecords) return enqueue(batch).then((result) => [result])
      // A large batch goes in as several transactions, so that real-time events can be written between
      // them. Until the last commits the caller has no answer; a retry of the whole batch then skips
      // what was stored (the raw store's content hash), so nothing is counted twice.
      return Promise.all(batches.split(batch, transactionRecords).map(enqueue))
    },
  }
}
