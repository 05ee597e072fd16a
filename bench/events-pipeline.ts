// `npm run bench:events:pipeline`: events through the pipeline in this process, without HTTP or the
// server's time-boxed transactions, for profiling the write path (docs/benchmarks.md, "Why commit
// dominates"). A fresh embedded store; batches of --batch messages, one transaction each.
//   npm run bench:events:pipeline -- --events 150000 --visitors 30000 --batch 500
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../src/config.ts'
import { openRuntime } from '../src/compose.ts'
import { messages } from './event-messages.ts'
import { random } from './generate.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const EVENTS = Number(args.get('events') ?? 200_000)
const BATCH = Number(args.get('batch') ?? 500)
const VISITORS = Number(args.get('visitors') ?? 30_000)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-ev-'))
const runtime = await openRuntime(loadConfig({ CDP_DATA_DIR: dataDir, CDP_LOG_LEVEL: 'silent', CDP_SQLITE_PRAGMAS: process.env.CDP_SQLITE_PRAGMAS }), { background: false })
const gen = messages(EVENTS, random(7), 'p', VISITORS)
const started = performance.now()
let done = 0
let window = performance.now()
while (done < EVENTS) {
  const batch: Array<{ index: number; value: unknown }> = []
  for (let i = 0; i < BATCH; i++) {
    const next = gen.next()
    if (next.done) break
    batch.push({ index: i, value: next.value })
  }
  if (batch.length === 0) break
  const report = await runtime.pipeline.ingestMessages({ messages: batch, source: 'bench' })
  if (report.failed > 0) throw new Error(JSON.stringify(report.errors[0]))
  done += batch.length
  if (done % 50_000 === 0) {
    process.stderr.write(`${done} events, window ${Math.round(50_000 / ((performance.now() - window) / 1000))}/s\n`)
    window = performance.now()
  }
}
process.stderr.write(`total ${Math.round(done / ((performance.now() - started) / 1000))} events/s\n`)
// The log's size shows what a run writes between checkpoints (all of it with wal_autocheckpoint=0).
for (const name of fs.readdirSync(dataDir)) {
  process.stderr.write(`${name} ${(fs.statSync(path.join(dataDir, name)).size / 1e6).toFixed(1)} MB\n`)
}
await runtime.close()
fs.rmSync(dataDir, { recursive: true, force: true })
