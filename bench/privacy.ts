// Erasure and the access export of one person with many events (docs/privacy.md, "Measured").
// A fresh store (SQLite, or a throwaway PostgreSQL database when DATABASE_URL is set) with other
// people around the person, the person's events through the pipeline (as /v1/batch sends them),
// then the export (streamed and counted, never held) and the erasure, each timed.
//   npx tsx bench/privacy.ts --events 100000
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/privacy.ts --events 100000
import os from 'node:os'
import { openRuntime } from '../src/compose.ts'
import { createTestDatabase } from '../test/helpers/db.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const EVENTS = Number(args.get('events') ?? 100_000)
const OTHERS = Number(args.get('others') ?? 10_000)
const BATCH = 1_000

const database = await createTestDatabase({ CDP_LOG_LEVEL: 'silent' })
const runtime = await openRuntime(database.config)
const base = Date.UTC(2025, 0, 1)
const iso = (ms: number) => new Date(ms).toISOString()
try {
  // Other people: a profile and a few events each, so the person's rows are not the whole table.
  for (let i = 0; i < OTHERS; i += BATCH) {
    const records = Array.from({ length: Math.min(BATCH, OTHERS - i) }, (_, j) => ({ index: j, value: { cookie: `other-${i + j}`, email: `other${i + j}@example.org`, timestamp: iso(base) } }))
    await runtime.pipeline.ingest({ records, source: 'bench', contentType: 'json' })
    const events = records.map((r, j) => ({ index: j, value: { type: 'track', anonymousId: `other-${i + j}`, event: 'Viewed', properties: { category: 'golf' }, timestamp: iso(base + 1000), messageId: `o-${i + j}` } }))
    await runtime.pipeline.ingestMessages({ messages: events, source: 'bench' })
  }
  await runtime.pipeline.ingest({ records: [{ index: 0, value: { cookie: 'person', email: 'person@example.org', interests: ['golf'], timestamp: iso(base) } }], source: 'bench', contentType: 'json' })
  const loading = performance.now()
  for (let i = 0; i < EVENTS; i += BATCH) {
    const messages = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, j) => ({
      index: j,
      value: { type: 'track', anonymousId: 'person', event: `Viewed ${(i + j) % 50}`, properties: { category: 'golf', sku: `sku-${i + j}` }, timestamp: iso(base + (i + j) * 1000), messageId: `p-${i + j}` },
    }))
    const report = await runtime.pipeline.ingestMessages({ messages, source: 'bench' })
    if (report.failed > 0) throw new Error(JSON.stringify(report.errors[0]))
  }
  const loadSeconds = (performance.now() - loading) / 1000

  const exportStarted = performance.now()
  let bytes = 0
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  for await (const piece of await runtime.privacy.exportPerson({ kind: 'email', value: 'person@example.org' })) {
    bytes += Buffer.byteLength(piece)
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  }
  const exportSeconds = (performance.now() - exportStarted) / 1000

  const eraseStarted = performance.now()
  const job = await runtime.privacy.erase({ identifiers: [{ kind: 'email', value: 'person@example.org' }], requestedBy: 'bench' })
  const eraseSeconds = (performance.now() - eraseStarted) / 1000

  console.log(
    JSON.stringify(
      {
        engine: runtime.store.engine,
        machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
        person_events: EVENTS,
        other_people: OTHERS,
        load_seconds: Math.round(loadSeconds * 10) / 10,
        export_seconds: Math.round(exportSeconds * 100) / 100,
        export_mb: Math.round(bytes / 2 ** 20),
        export_rss_growth_mb: Math.round((rssPeak - rssBefore) / 2 ** 20),
        erase_seconds: Math.round(eraseSeconds * 100) / 100,
        erase_status: job.status,
        erase_counts: job.counts,
      },
      null,
      2,
    ),
  )
} finally {
  await runtime.close()
  await database.drop()
}
