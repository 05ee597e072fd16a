import { generateRecords } from './generate.ts'
import { createPreparePool } from '../src/pipeline/prepare/pool.ts'
import { createPrepareTasks } from '../src/pipeline/prepare/tasks.ts'
import { DEFAULT_EMAIL_BLOCKLIST, DEFAULT_QUALITY_POLICIES } from '../src/pipeline/validate/index.ts'
const W = Number(process.argv[2])
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20)
const recs = [...generateRecords(20000, 1)]
const settings = { validate: { emailBlocklist: new Set(DEFAULT_EMAIL_BLOCKLIST) }, qualityPolicies: DEFAULT_QUALITY_POLICIES, interestProperties: undefined }
const pool = W ? createPreparePool({ size: 1, settings }) : undefined
const here = createPrepareTasks(settings)
const r0 = rss()
let peak = 0
for (let i = 0; i < 20; i++) {
  const task = { kind: 'body' as const, text: recs.slice(i * 1000, i * 1000 + 1000).map((r) => JSON.stringify(r)).join('\n'), format: 'ndjson' as const, batch: { source: 's', contentType: 'ndjson', batchId: 'b', receivedAt: 1 } }
  await (pool ? pool.run(task) : here(task))
  peak = Math.max(peak, rss())
}
console.log(`workers ${W}: rss before ${r0} MB, peak ${peak} MB, end ${rss()} MB, maxRSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`)
await pool?.close()
