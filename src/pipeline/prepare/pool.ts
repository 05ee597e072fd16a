// A pool of worker threads that prepare batches (parse, validate, normalize, hash: prepare/tasks.ts)
// so that the main thread only resolves and writes. Workers start on first use (or at `start()`),
// are replaced when one dies, and never keep the process alive while idle: a worker is ref'd only
// while it has a task. A worker's death fails its tasks (the request answers 500): the batch is not
// retried on the main thread, where whatever killed the worker (memory, a native fault) could take
// the whole server down with it.
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../domain/worker-thread.ts'
import type { PrepareOutcome, PrepareSettings, PrepareTask, WorkerReply } from './tasks.ts'

export interface PreparePoolOptions {
  /** Worker threads at most (at least 1). */
  size: number
  settings: PrepareSettings
  /** The worker's entry module; tests pass one of their own to make a worker die. */
  entry?: URL
}

export interface PreparePool {
  readonly size: number
  /** Prepares one batch in a worker; rejects when the worker fails or dies. */
  run(task: PrepareTask): Promise<PrepareOutcome>
  /** Starts every worker now, so the first large batch does not wait for them to load. */
  start(): void
  /** Terminates the workers; tasks still running fail. */
  close(): Promise<void>
}

interface Pending {
  resolve: (outcome: PrepareOutcome) => void
  reject: (error: Error) => void
}

interface Slot {
  worker: Worker
  pending: Map<number, Pending>
}

const DEFAULT_ENTRY = new URL('./worker.ts', import.meta.url)

export function createPreparePool(options: PreparePoolOptions): PreparePool {
  const size = Math.max(1, Math.floor(options.size))
  const entry = options.entry ?? DEFAULT_ENTRY
  const slots = new Set<Slot>()
  let nextId = 0
  let closed = false

  function spawn(): Slot {
    const worker = startWorker(entry, { data: options.settings })
    const slot: Slot = { worker, pending: new Map() }
    const fail = (error: Error) => {
      if (!slots.delete(slot)) return
      for (const p of slot.pending.values()) p.reject(error)
      slot.pending.clear()
    }
    worker.on('message', (reply: WorkerReply) => {
      const p = slot.pending.get(reply.id)
      if (!p) return
      slot.pending.delete(reply.id)
      if (slot.pending.size === 0) worker.unref()
      if (reply.kind === 'done') p.resolve(reply.outcome)
      else p.reject(new Error(`preparing a batch failed in a worker thread: ${reply.message}`, { cause: reply.stack }))
    })
    worker.on('error', (error) => fail(new Error(`a prepare worker thread crashed: ${error.message}`, { cause: error })))
    worker.on('exit', (code) => fail(new Error(closed ? 'the prepare pool was closed while a batch was being prepared' : `a prepare worker thread exited (code ${code}) while preparing a batch`)))
    // Idle workers must not keep a CLI command or a test process alive. After the listeners: adding
    // a 'message' listener refs the worker's port again.
    worker.unref()
    slots.add(slot)
    return slot
  }

  /** The least busy worker; a new one while the pool is not full and every worker has work. */
  function pick(): Slot {
    let best: Slot | undefined
    for (const slot of slots) if (!best || slot.pending.size < best.pending.size) best = slot
    if (!best || (best.pending.size > 0 && slots.size < size)) return spawn()
    return best
  }

  return {
    size,
    run(task) {
      if (closed) return Promise.reject(new Error('the prepare pool is closed'))
      const slot = pick()
      const id = nextId++
      return new Promise<PrepareOutcome>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject })
        if (slot.pending.size === 1) slot.worker.ref()
        try {
          slot.worker.postMessage({ id, task })
        } catch (error) {
          slot.pending.delete(id)
          if (slot.pending.size === 0) slot.worker.unref()
          reject(error as Error)
        }
      })
    },
    start() {
      while (!closed && slots.size < size) spawn()
    },
    async close() {
      closed = true
      await Promise.all([...slots].map((slot) => slot.worker.terminate()))
    },
  }
}
