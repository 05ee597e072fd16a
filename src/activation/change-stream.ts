// A segment's change stream without HTTP: reading the log after a cursor, and waiting for what comes
// next. The notifier wakes waiters at once for changes committed in this process; a poll every
// `pollMs` catches those committed by other processes (another server on the same database).
import type { ChangeNotifier } from './notifier.ts'
import type { ChangeLogEntry } from '../domain/segment.ts'
import type { ActivationStore } from '../storage/ports/activation.ts'

export interface ChangeStreamDependencies {
  store: Pick<ActivationStore, 'listChanges'>
  notifier: ChangeNotifier
  /** How often a waiter re-reads the log when nothing wakes it. */
  pollMs: number
}

/**
 * A wake-up for one waiter: fires on the segment's notifier signal, or when `wake()` is called
 * (the reader is going away). A signal that arrives while nobody waits is kept, so the next wait
 * returns at once: nothing committed between a read and the wait is missed.
 */
function subscribeWake(notifier: ChangeNotifier, segmentId: string) {
  let pending = false
  let release: (() => void) | undefined
  const wake = () => {
    pending = true
    release?.()
  }
  const unsubscribe = notifier.subscribe(segmentId, wake)
  return {
    wake,
    async wait(ms: number): Promise<void> {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, ms))
          release = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        release = undefined
      }
      pending = false
    },
    close: unsubscribe,
  }
}

/** A wake-up that also fires when `signal` aborts, so an abort never waits out a poll interval. */
function subscribeUntilAborted(notifier: ChangeNotifier, segmentId: string, signal: AbortSignal) {
  const waiter = subscribeWake(notifier, segmentId)
  signal.addEventListener('abort', waiter.wake)
  return {
    wait: waiter.wait,
    close: () => {
      signal.removeEventListener('abort', waiter.wake)
      waiter.close()
    },
  }
}

export function createChangeStream(deps: ChangeStreamDependencies) {
  const { store, notifier, pollMs } = deps

  /**
   * The first changes after `afterId`, waiting up to `until` (epoch ms) for one when there are none
   * yet; an empty list when the wait ends or `signal` aborts first.
   */
  async function waitForChanges(input: { segmentId: string; afterId: number; limit: number; until: number; signal: AbortSignal }): Promise<ChangeLogEntry[]> {
    const { segmentId, afterId, limit, until, signal } = input
    const waiter = subscribeUntilAborted(notifier, segmentId, signal)
    try {
      // Read once the subscription is live: a change committed before it is seen here.
      let changes = await store.listChanges({ segmentId, afterId, limit })
      while (changes.length === 0 && !signal.aborted && Date.now() < until) {
        await waiter.wait(Math.min(until - Date.now(), pollMs))
        changes = await store.listChanges({ segmentId, afterId, limit })
      }
      return changes
    } finally {
      waiter.close()
    }
  }

  /**
   * Every change after `afterId` in batches of at most `batch`, then each new batch as it commits,
   * until `signal` aborts. The next read waits until the consumer has taken the previous batch.
   */
  async function* follow(input: { segmentId: string; afterId: number; batch: number; signal: AbortSignal }): AsyncGenerator<ChangeLogEntry[]> {
    const { segmentId, batch, signal } = input
    let cursor = input.afterId
    const waiter = subscribeUntilAborted(notifier, segmentId, signal)
    try {
      while (!signal.aborted) {
        const changes = await store.listChanges({ segmentId, afterId: cursor, limit: batch })
        if (changes.length > 0) {
          yield changes
          cursor = (changes[changes.length - 1] as ChangeLogEntry).id
          // A full batch says more may be waiting: read on before sleeping.
          if (changes.length === batch) continue
        }
        await waiter.wait(pollMs)
      }
    } finally {
      waiter.close()
    }
  }

  return { waitForChanges, follow }
}

export type ChangeStream = ReturnType<typeof createChangeStream>
