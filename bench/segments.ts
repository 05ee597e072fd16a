// `npm run bench:segments`: what business segments cost, for docs/benchmarks.md.
//   npm run bench:segments -- --profiles 1000000 --compare 200000 --backend sqlite|postgres
// 1. Bulk ingest of `compare` profiles with no segment, then into a fresh store with 50 active
//    segments: the overhead of incremental evaluation.
// 2. The 50-segment store grows to `profiles`; then backfilling one new segment over all of them,
//    and previews of several definitions.
// In-process (the pipeline without HTTP), so the figures are the segment engine's own.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { loadConfig } from '../src/config.ts'
import { openRuntime, type Runtime } from '../src/compose.ts'
import { generateRecords } from './generate.ts'
import { fiftySegments } from './segment-definitions.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const PROFILES = Number(args.get('profiles') ?? 1_000_000)
const COMPARE = Number(args.get('compare') ?? 200_000)
const BACKEND = args.get('backend') ?? 'sqlite'
const PG_URL = args.get('pg') ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const BATCH = 1000

async function openStore(label: string): Promise<{ runtime: Runtime; cleanup: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cdp-bench-seg-${label}-`))
  let env: Record<string, string> = { CDP_DATA_DIR: dataDir, CDP_LOG_LEVEL: 'silent' }
  let drop = async () => {}
  if (BACKEND === 'postgres') {
    const name = `cdp_bench_test_seg_${label}_${Date.now()}`
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const url = new URL(PG_URL)
    url.pathname = `/${name}`
    env = { ...env, DATABASE_URL: url.toString() }
    drop = async () => {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    }
  }
  const runtime = await openRuntime(loadConfig(env), { background: false })
  return {
    runtime,
    cleanup: async () => {
      await runtime.close()
      await drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function ingest(runtime: Runtime, records: Generator<unknown>, count: number): Promise<number> {
  const started = performance.now()
  let done = 0
  while (done < count) {
    const batch: Array<{ index: number; value: unknown }> = []
    for (let i = 0; i < BATCH && done + i < count; i++) {
      const next = records.next()
      if (next.done) break
      batch.push({ index: i, value: next.value })
    }
    if (batch.length === 0) break
    const report = await runtime.pipeline.ingest({ records: batch, source: 'bench', contentType: 'application/x-ndjson' })
    if (report.failed > 0) throw new Error(`bench records failed: ${JSON.stringify(report.errors[0])}`)
    done += batch.length
    if (done % 100_000 === 0) process.stderr.write(`  ${done} records, ${Math.round(done / ((performance.now() - started) / 1000))}/s\n`)
  }
  return done / ((performance.now() - started) / 1000)
}

const figures: Record<string, unknown> = { backend: BACKEND, profiles: PROFILES, compare: COMPARE }

process.stderr.write(`[${BACKEND}] ingest of ${COMPARE} profiles, no segments\n`)
const plain = await openStore('plain')
const plainRate = await ingest(plain.runtime, generateRecords(COMPARE, 1), COMPARE)
await plain.cleanup()

process.stderr.write(`[${BACKEND}] ingest of ${COMPARE} profiles, 50 active segments\n`)
const seg = await openStore('segments')
for (const definition of fiftySegments()) await seg.runtime.segments.create(definition)
const records = generateRecords(PROFILES, 1)
const segRate = await ingest(seg.runtime, records, COMPARE)
figures.ingest_no_segments_per_s = Math.round(plainRate)
figures.ingest_50_segments_per_s = Math.round(segRate)
figures.segment_overhead_pct = Math.round((plainRate / segRate - 1) * 1000) / 10
process.stderr.write(`${JSON.stringify(figures)}\n`)

if (PROFILES > COMPARE) {
  process.stderr.write(`[${BACKEND}] growing to ${PROFILES} profiles\n`)
  await ingest(seg.runtime, records, PROFILES - COMPARE)
}
await seg.runtime.store.optimize()
const total = await seg.runtime.store.countProfiles()
figures.profiles_in_store = total

const backfillDefinitions: Array<[string, unknown]> = [
  ['cohort + age', { all: [{ cohort: 'Sports' }, { field: 'age', op: 'between', value: [25, 34] }] }],
  ['women in New York, income ≥ $75k', { all: [{ field: 'gender', op: 'in', value: ['female', 'f'] }, { field: 'state', op: 'eq', value: 'New York' }, { field: 'income', op: 'gte', value: '$75k' }] }],
  ['interest contains "shoe" or Fashion ≥ 0.8', { any: [{ interest: 'contains', value: 'shoe' }, { cohort: 'Fashion', min_score: 0.8 }] }],
]
const previews: Array<{ definition: string; count: number; ms: number }> = []
for (const [label, conditions] of backfillDefinitions) {
  const started = performance.now()
  const result = await seg.runtime.segments.preview(conditions)
  previews.push({ definition: label, count: result.count, ms: Math.round(performance.now() - started) })
}
figures.previews = previews
process.stderr.write(`${JSON.stringify(previews)}\n`)

process.stderr.write(`[${BACKEND}] backfill of one new segment over ${total} profiles\n`)
const created = await seg.runtime.segments.create({ name: 'backfill bench', conditions: backfillDefinitions[0]?.[1] })
const started = performance.now()
const backfill = await seg.runtime.segments.backfill(created.id)
figures.backfill_seconds = Math.round((performance.now() - started) / 100) / 10
figures.backfill_members = (await seg.runtime.store.getSegment(created.id))?.members
figures.backfill_changes = backfill.changed

const timeCreated = await seg.runtime.segments.create({ name: 'backfill bench, relative time', conditions: backfillDefinitions[0] ? { all: [backfillDefinitions[0][1], { field: 'last_seen', op: 'within_last', value: { days: 3650 } }] } : {} })
const timeStarted = performance.now()
await seg.runtime.segments.backfill(timeCreated.id)
figures.backfill_relative_time_seconds = Math.round((performance.now() - timeStarted) / 100) / 10
await seg.cleanup()

process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`)
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync(`bench/results/segments-${BACKEND}.json`, `${JSON.stringify({ when: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`, figures }, null, 2)}\n`)
