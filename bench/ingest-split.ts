// `npx tsx bench/ingest-split.ts RECORDS WORKERS`: where the main thread's time goes in bulk ingest,
// in-process (no HTTP): NDJSON bodies of 1,000 through pipeline.ingestBody, two in flight, on a fresh
// SQLite database (or DATABASE_URL), with CDP_INGEST_WORKERS=WORKERS. Main-thread time is that
// thread's own CPU time (Linux: /proc/self/task/PID/stat), so other processes on the cores do not
// inflate it; the process's CPU time counts the workers too. The main thread's preparing share is
// measured afterwards on the same bodies, alone (on this thread with 0 workers; sending to a pool and
// reading the results back with workers); writing is the rest.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateRecords } from './generate.ts'
import { loadConfig } from '../src/config.ts'
import { openRuntime } from '../src/compose.ts'
import { createPreparePool } from '../src/pipeline/prepare/pool.ts'
import { createPrepareTasks, type PrepareSettings, type PrepareTask } from '../src/pipeline/prepare/tasks.ts'
import { DEFAULT_EMAIL_BLOCKLIST, DEFAULT_QUALITY_POLICIES } from '../src/pipeline/validate/index.ts'

/** CPU milliseconds of the main thread so far (utime + stime, in clock ticks of 10 ms). */
function mainThreadCpuMs(): number {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}
const processCpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const RECORDS = Number(process.argv[2] ?? 20_000)
const WORKERS = Number(process.argv[3] ?? 1)
const lines: string[] = []
for (const r of generateRecords(RECORDS, 1)) lines.push(JSON.stringify(r))
const bodies: string[] = []
for (let i = 0; i < lines.length; i += 1000) bodies.push(lines.slice(i, i + 1000).join('\n'))

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-split-'))
const config = loadConfig({ CDP_DATA_DIR: dataDir, CDP_INGEST_WORKERS: String(WORKERS), ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}) })
const runtime = await openRuntime(config, { background: true })
await new Promise((resolve) => setTimeout(resolve, 2000)) // the workers load
const cpu0 = mainThreadCpuMs()
const all0 = processCpuMs()
const started = performance.now()
let next = 0
await Promise.all(
  [0, 1].map(async () => {
    while (next < bodies.length) {
      const outcome = await runtime.pipeline.ingestBody({ text: bodies[next++] as string, format: 'ndjson', source: 'split' })
      if (outcome.kind !== 'ok') throw new Error(outcome.reason)
    }
  }),
)
const wall = performance.now() - started
const busy = mainThreadCpuMs() - cpu0
const total = processCpuMs() - all0
await runtime.close()
fs.rmSync(dataDir, { recursive: true, force: true })

const settings: PrepareSettings = { validate: { emailBlocklist: new Set(DEFAULT_EMAIL_BLOCKLIST), defaultPhoneCountry: 'US' }, qualityPolicies: DEFAULT_QUALITY_POLICIES, interestProperties: undefined }
const task = (text: string): PrepareTask => ({ kind: 'body', text, format: 'ndjson', batch: { source: 'split', contentType: 'ndjson', batchId: 'bat_split', receivedAt: Date.now() } })
const pool = WORKERS > 0 ? createPreparePool({ size: WORKERS, settings }) : undefined
const runHere = createPrepareTasks(settings)
if (pool) await pool.run(task(bodies[0] as string))
const cpu1 = mainThreadCpuMs()
for (const body of bodies) await (pool ? pool.run(task(body)) : runHere(task(body)))
const preparing = mainThreadCpuMs() - cpu1
await pool?.close()

const us = (ms: number) => `${((ms * 1000) / RECORDS).toFixed(1)} µs`
console.log(
  `workers ${WORKERS}: ${Math.round(RECORDS / (wall / 1000))} records/s; CPU per record: main thread ${us(busy)} (preparing ${us(preparing)}, writing ${us(busy - preparing)}), whole process ${us(total)}`,
)
