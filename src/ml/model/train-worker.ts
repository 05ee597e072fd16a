// Worker thread entry of retrainInWorker (retrain.ts): trains with the extras it is given and posts
// log lines, then the report or the failure, back to the thread that started it.
import { parentPort, workerData } from 'node:worker_threads'
import type { ModelExtras } from './extras.ts'
import { trainModel } from './train.ts'

export interface TrainJob {
  extras: ModelExtras
  /** file: URL of the output folder (URLs do not cross threads, strings do). */
  outDir: string
  dir?: string
  epochs?: number
  seed?: number
}

export type TrainMessage = { kind: 'log'; line: string } | { kind: 'done'; report: Awaited<ReturnType<typeof trainModel>> } | { kind: 'failed'; message: string; stack?: string }

const job = (workerData as { data: { job: TrainJob } }).data.job
const post = (message: TrainMessage) => parentPort?.postMessage(message)
try {
  const report = await trainModel({
    extras: job.extras,
    outDir: new URL(job.outDir),
    ...(job.dir !== undefined ? { dir: new URL(job.dir) } : {}),
    ...(job.epochs !== undefined ? { epochs: job.epochs } : {}),
    ...(job.seed !== undefined ? { seed: job.seed } : {}),
    log: (line) => post({ kind: 'log', line }),
  })
  post({ kind: 'done', report })
} catch (error) {
  const failure = error instanceof Error ? error : new Error(String(error))
  post({ kind: 'failed', message: failure.message, ...(failure.stack !== undefined ? { stack: failure.stack } : {}) })
}
