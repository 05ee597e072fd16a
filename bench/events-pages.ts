// `npm run bench:events:pages`: which b-trees an event's commit writes. The events pipeline bench's
// traffic in this process with automatic checkpoints off, so the write-ahead log keeps every page
// each transaction wrote; each log frame is then attributed to the table or index that owns its page
// (SQLite's dbstat). Pages per event, by structure: the figure that commit time follows
// (docs/benchmarks.md, "Why commit dominates"). Deterministic for a given seed, unlike events/s.
//   npm run bench:events:pages -- --events 100000 --visitors 30000 [--live 1]
// --live 1 stamps the messages in arrival order, 10 ms apart (a site's live traffic), instead of at
// random times over the last day, so nearly every event moves its visitor's last_seen.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { loadConfig } from '../src/config.ts'
import { openRuntime } from '../src/compose.ts'
import { messages } from './event-messages.ts'
import { random } from './generate.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const EVENTS = Number(args.get('events') ?? 100_000)
const BATCH = Number(args.get('batch') ?? 500)
const VISITORS = Number(args.get('visitors') ?? 30_000)
const LIVE = args.get('live') === '1'
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-pages-'))
const runtime = await openRuntime(loadConfig({ CDP_DATA_DIR: dataDir, CDP_LOG_LEVEL: 'silent', CDP_SQLITE_PRAGMAS: 'wal_autocheckpoint=0' }), { background: false })
const walFile = path.join(dataDir, 'cdp.sqlite-wal')
// The schema's own pages (migrations) are not the events'.
const schemaBytes = fs.existsSync(walFile) ? fs.statSync(walFile).size : 0
const gen = messages(EVENTS, random(7), 'p', VISITORS)
const liveFrom = Date.now() - 3_600_000
const started = performance.now()
let done = 0
while (done < EVENTS) {
  const batch: Array<{ index: number; value: unknown }> = []
  for (let i = 0; i < BATCH; i++) {
    const next = gen.next()
    if (next.done) break
    const message = next.value
    if (LIVE) message.timestamp = new Date(liveFrom + 10 * (done + i)).toISOString()
    batch.push({ index: i, value: message })
  }
  if (batch.length === 0) break
  const report = await runtime.pipeline.ingestMessages({ messages: batch, source: 'bench' })
  if (report.failed > 0) throw new Error(JSON.stringify(report.errors[0]))
  done += batch.length
}
const seconds = (performance.now() - started) / 1000

const wal = fs.readFileSync(walFile)
const pageSize = wal.readUInt32BE(8)
const frames = new Map<number, number>()
for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
  if (at < schemaBytes) continue
  const page = wal.readUInt32BE(at)
  frames.set(page, (frames.get(page) ?? 0) + 1)
}
const db = new Database(path.join(dataDir, 'cdp.sqlite'), { readonly: true })
const owner = new Map<number, string>()
for (const row of db.prepare('select name, pageno from dbstat').iterate() as Iterable<{ name: string; pageno: number }>) owner.set(row.pageno, row.name)
db.close()
const byName = new Map<string, number>()
let total = 0
for (const [page, n] of frames) {
  const name = owner.get(page) ?? '(freed)'
  byName.set(name, (byName.get(name) ?? 0) + n)
  total += n
}
process.stdout.write(`${done} events (${LIVE ? 'live' : 'random'} times, ${VISITORS} visitors): ${(total / done).toFixed(2)} pages of ${pageSize} B per event, ${Math.round(done / seconds)} events/s\n`)
for (const [name, n] of [...byName].sort((a, b) => b[1] - a[1])) {
  if (n / done >= 0.005) process.stdout.write(`  ${name.padEnd(36)} ${(n / done).toFixed(3)}\n`)
}
await runtime.close()
fs.rmSync(dataDir, { recursive: true, force: true })
