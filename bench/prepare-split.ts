// `npx tsx bench/prepare-split.ts [records]`: how much main-thread time preparing bulk NDJSON bodies
// costs, prepared here versus in the prepare pool (src/pipeline/prepare/pool.ts). Main-thread time
// is the event loop's active time (performance.eventLoopUtilization), so it counts what the main
// thread spends sending tasks and reading results, not the workers' own work.
import { performance } from 'node:perf_hooks'
import { generateRecords } from './generate.ts'
import { createPreparePool } from '../src/pipeline/prepare/pool.ts'
import { createPrepareTasks, type PrepareSettings, type PrepareTask } from '../src/pipeline/prepare/tasks.ts'
import { DEFAULT_EMAIL_BLOCKLIST, DEFAULT_QUALITY_POLICIES } from '../src/pipeline/validate/index.ts'

const RECORDS = Number(process.argv[2] ?? 20_000)
const BATCH = 1000
const lines: string[] = []
for (const r of generateRecords(RECORDS, 1)) lines.push(JSON.stringify(r))
const bodies: string[] = []
for (let i = 0; i < lines.length; i += BATCH) bodies.push(lines.slice(i, i + BATCH).join('\n'))
const settings: PrepareSettings = { validate: { emailBlocklist: new Set(DEFAULT_EMAIL_BLOCKLIST), defaultPhoneCountry: 'US' }, qualityPolicies: DEFAULT_QUALITY_POLICIES, interestProperties: undefined }
const task = (text: string): PrepareTask => ({ kind: 'body', text, format: 'ndjson', batch: { source: 'bench', contentType: 'ndjson', batchId: 'bat_bench', receivedAt: Date.now() } })

async function measure(label: string, run: (t: PrepareTask) => Promise<unknown> | unknown, inFlight: number) {
  const elu0 = performance.eventLoopUtilization()
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) await run(task(bodies[next++] as string))
    }),
  )
  const wall = performance.now() - started
  const elu = performance.eventLoopUtilization(elu0)
  const perRecord = (ms: number) => `${((ms * 1000) / RECORDS).toFixed(1)} µs`
  console.log(`${label.padEnd(34)} wall ${perRecord(wall)}/record, main thread busy ${perRecord(elu.active)}/record (${Math.round(RECORDS / (wall / 1000))} records/s)`)
}

const runHere = createPrepareTasks(settings)
const pool = createPreparePool({ size: Number(process.argv[3] ?? 1), settings })
pool.start()
await pool.run(task(bodies[0] as string))
for (let round = 0; round < 3; round++) {
  await measure('main thread', runHere, 1)
  await measure(`pool (${pool.size}), 1 in flight`, (t) => pool.run(t), 1)
  await measure(`pool (${pool.size}), 2 in flight`, (t) => pool.run(t), 2)
}
await pool.close()
