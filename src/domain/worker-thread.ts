// Starting a worker thread from one of our modules, built or not. Built (dist/, every module is .js)
// the worker is simply the .js file next to the caller. Run from source (tsx, vitest) it is
// TypeScript, and vitest does not hand its transform to workers, so the worker starts from a tiny
// JavaScript bootstrap that registers tsx's loader in the worker itself and then imports the entry.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

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

let tsxApi: string | undefined

/**
 * Starts the worker whose entry is `entry`, the URL of its TypeScript source (`new URL('./x.ts',
 * import.meta.url)`); from dist/ the .js beside it runs instead. The entry reads its own data from
 * `workerData.data`. The parent's own flags (tsx's --import, vitest's) are not meant for the worker.
 */
export function startWorker(entry: URL, options: { data: unknown; resourceLimits?: WorkerOptions['resourceLimits'] }): Worker {
  const common = { execArgv: [], ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) }
  if (import.meta.url.endsWith('.js') && entry.pathname.endsWith('.ts')) {
    return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')), { ...common, workerData: { data: options.data } })
  }
  // From source the worker registers tsx itself (tsx is a dev dependency: only source runs need it).
  tsxApi ??= tsxApiUrl()
  return new Worker(BOOTSTRAP, { ...common, eval: true, workerData: { data: options.data, tsxApi, entry: entry.href } })
}
