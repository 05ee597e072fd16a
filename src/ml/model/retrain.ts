// Retraining off the main thread: trainModel runs in a worker thread so a server keeps answering
// while the model learns (~15–20 s of CPU). domain/worker-thread.ts starts it, built or from source.
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../domain/worker-thread.ts'
import type { ModelExtras } from './extras.ts'
import type { TrainJob, TrainMessage } from './train-worker.ts'
import type { TrainReport } from './train.ts'

export interface RetrainOptions {
  extras: ModelExtras
  /** Where model.bin and model.json go; never data/model/ unless you mean to replace the committed model. */
  outDir: URL
  /** Base data (cohorts, gazetteer, vectors, train.tsv); default data/model/. */
  dir?: URL
  epochs?: number
  seed?: number
  log?: (line: string) => void
}

function startTrainWorker(job: TrainJob): Worker {
  return startWorker(new URL('./train-worker.ts', import.meta.url), { data: { job } })
}

/** Runs trainModel({ extras, outDir, … }) in a worker thread; resolves with its report. */
export function retrainInWorker(options: RetrainOptions): Promise<TrainReport> {
  const job: TrainJob = {
    extras: options.extras,
    outDir: options.outDir.href,
    ...(options.dir !== undefined ? { dir: options.dir.href } : {}),
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  }
  const worker = startTrainWorker(job)
  return new Promise<TrainReport>((resolve, reject) => {
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      outcome()
    }
    worker.on('message', (message: TrainMessage) => {
      if (message.kind === 'log') options.log?.(message.line)
      else if (message.kind === 'done') settle(() => resolve(message.report))
      else settle(() => reject(new Error(`retraining failed: ${message.message}`, { cause: message.stack })))
    })
    worker.on('error', (error) => settle(() => reject(new Error(`retraining worker crashed: ${error.message}`, { cause: error }))))
    worker.on('exit', (code) => settle(() => reject(new Error(`retraining worker exited with code ${code} before reporting`))))
  })
}
