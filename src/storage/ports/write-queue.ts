// Group commit: batches submitted while a transaction is being written wait and then go in
// together, through one write callback. Used only where the store asks for it
// (TransactionRunner.groupCommit): compose.ts builds the queue, the pipeline just submits to it.

/** Writes a group of batches in one transaction; resolves with one result per batch, in order. */
export type GroupWriter<B, R> = (group: readonly B[]) => Promise<R[]>

/** What a queue needs to know of the batches it groups: their size in records, how to cut one, how to write a group. */
export interface QueuedBatches<B, R> {
  write: GroupWriter<B, R>
  size: (batch: B) => number
  /** `batch` in parts of at most `records` records, in order. */
  split: (batch: B, records: number) => B[]
}

export interface WriteQueue<B, R> {
  /**
   * Queues a batch; resolves, once all are committed, with the results of its parts: one part, or
   * several when the batch is larger than one transaction may be.
   */
  submit(batch: B): Promise<R[]>
}

/** Builds the queue for one kind of batch. */
export type WriteQueueFactory = <B, R>(batches: QueuedBatches<B, R>) => WriteQueue<B, R>
