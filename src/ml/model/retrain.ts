// Retraining off the main thread: trainModel runs in a worker thread so a server keeps answering
// while the model learns (~15–20 s of CPU). Built (dist/, this module is .js) the worker is simply
// train-worker.js. Run from source (tsx, vitest) it is TypeScript, and vitest does not hand its
// transform to workers, so the worker starts from a tiny JavaScript bootstrap that registers tsx's
// loader in the worker itself and then imports train-worker.ts.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
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

// CommonJS, because `eval` workers run scripts; import() still loads ES modules from there.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads')
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry) })
`

/**
 * tsx's ES module API as a file: URL, found through tsx's own package.json "exports" (require.resolve
 * would give the CommonJS build, and vitest offers no import.meta.resolve).
 */
function tsxApiUrl(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json')
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }
  const target = manifest.exports['./esm/api']?.import?.default
  if (target === undefined) throw new Error(`${manifestPath} exports no "./esm/api" ES module: the installed tsx is not supported`)
  return new URL(target, pathToFileURL(manifestPath)).href
}

// The parent's own flags (tsx's --import, vitest's) are not meant for the worker.
function startTrainWorker(job: TrainJob): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./train-worker.js', import.meta.url), { execArgv: [], workerData: { job } })
  // From source the worker registers tsx itself (tsx is a dev dependency: only source runs need it).
  return new Worker(BOOTSTRAP, {
    eval: true,
    execArgv: [],
    workerData: { job, tsxApi: tsxApiUrl(), entry: new URL('./train-worker.ts', import.meta.url).href },
  })
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
