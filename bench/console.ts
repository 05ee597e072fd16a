// `npm run bench:console`: how fast the console's pages get their first data on a large store.
//   npm run bench:console -- --profiles 1000000 --backend sqlite|postgres [--dir scratch/console-1m] [--events 200000]
// Seeds the store once (profiles through POST /api/ingest, storefront events through /v1/batch; kept in
// --dir, or in a kept PostgreSQL database, so later runs only measure), then starts a fresh server and
// times the requests each page makes first: cold (the first request after start) and warm (median of 20).
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { messages } from './event-messages.ts'
import { generateRecords, random } from './generate.ts'
import { startServer } from './server.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const PROFILES = Number(args.get('profiles') ?? 1_000_000)
const EVENTS = Number(args.get('events') ?? 200_000)
const BACKEND = args.get('backend') ?? 'sqlite'
const PG_URL = args.get('pg') ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DIR = path.resolve(args.get('dir') ?? `scratch/console-${BACKEND}-${PROFILES}`)
const KEY = 'bench-admin-key-0123456789abcdef'
const BATCH = 1000

async function post(url: string, body: string, contentType: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': contentType }, body })
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${(await response.text()).slice(0, 300)}`)
}

async function inBatches<T>(items: Generator<T>, send: (batch: T[]) => Promise<void>, label: string): Promise<void> {
  let sent = 0
  const started = performance.now()
  const next = (): T[] => {
    const batch: T[] = []
    for (let r = items.next(); !r.done; r = items.next()) {
      batch.push(r.value)
      if (batch.length === BATCH) break
    }
    return batch
  }
  // Two requests in flight: the server parses one batch while it writes the other.
  const worker = async () => {
    for (let batch = next(); batch.length > 0; batch = next()) {
      await send(batch)
      sent += batch.length
      if (sent % 100_000 < BATCH) process.stderr.write(`  ${label}: ${sent}, ${Math.round(sent / ((performance.now() - started) / 1000))}/s\n`)
    }
  }
  await Promise.all([worker(), worker()])
}

async function seed(url: string): Promise<void> {
  process.stderr.write(`seeding ${PROFILES} profiles and ${EVENTS} events\n`)
  await inBatches(generateRecords(PROFILES, 1), (batch) => post(`${url}/api/ingest?source=bench`, batch.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson'), 'profiles')
  await inBatches(messages(EVENTS, random(7), 'console', 50_000), (batch) => post(`${url}/v1/batch`, JSON.stringify({ batch }), 'application/json'), 'events')
  // A few rejected records, so the quality panels have something to show.
  await post(`${url}/api/ingest?source=bench-bad`, [{ cookie: 'bad-1', email: 'not-an-email' }, { email: 'x@' }, { cookie: 'bad-2', demographics: { age: -4 } }].map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson').catch(() => undefined)
  const segment = { name: 'Sports fans', conditions: { cohort: 'Sports' } }
  const created = await fetch(`${url}/api/segments`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(segment) })
  if (created.status !== 201) throw new Error(`creating a segment failed: ${created.status} ${await created.text()}`)
}

async function time(url: string, pathAndQuery: string): Promise<number> {
  const started = performance.now()
  const response = await fetch(`${url}${pathAndQuery}`, { headers: { authorization: `Bearer ${KEY}` } })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`${pathAndQuery}: ${response.status}`)
  return performance.now() - started
}

/**
 * The same pages in headless Chromium (when /usr/bin/chromium and a console build in dist/web exist):
 * from navigation to the page's first data on screen, the bundle's download and parse included; the
 * median of 5 loads in a fresh tab each.
 */
async function inBrowser(url: string, person: string): Promise<Record<string, number> | string> {
  if (!fs.existsSync('/usr/bin/chromium')) return 'skipped: /usr/bin/chromium is missing'
  if (!fs.existsSync('dist/web/index.html')) return 'skipped: no console build in dist/web (npm run build)'
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] })
  const pages: Record<string, [string, string]> = {
    overview: ['#/overview', '.card .value'],
    people: [`#/people/email/${person}`, '[aria-label="Cookies"] li'],
    data: ['#/data', 'table tbody tr'],
    keys: ['#/keys', 'table tbody tr'],
  }
  const out: Record<string, number> = {}
  try {
    for (const [name, [hash, selector]] of Object.entries(pages)) {
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        const context = await browser.newContext()
        await context.addInitScript((key) => sessionStorage.setItem('cdp.key', key), KEY)
        const page = await context.newPage()
        const started = performance.now()
        await page.goto(`${url}/${hash}`)
        await page.locator(selector).first().waitFor()
        times.push(performance.now() - started)
        await context.close()
      }
      out[name] = Math.round(median(times))
    }
  } finally {
    await browser.close()
  }
  return out
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

async function main(): Promise<void> {
  fs.mkdirSync(DIR, { recursive: true })
  const env: Record<string, string> = { CDP_DATA_DIR: DIR }
  if (BACKEND === 'postgres') {
    const name = `cdp_console_bench_${PROFILES}`
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount === 0) await admin.query(`create database ${name}`)
    await admin.end()
    const dbUrl = new URL(PG_URL)
    dbUrl.pathname = `/${name}`
    env.DATABASE_URL = dbUrl.toString()
  }
  const marker = path.join(DIR, 'seeded')
  if (!fs.existsSync(marker)) {
    const { child, url } = await startServer(env, KEY)
    try {
      await seed(url)
      fs.writeFileSync(marker, new Date().toISOString())
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  }

  const { child, url } = await startServer(env, KEY)
  try {
    const person = 'user4242@example.com'
    const pages: Record<string, string[]> = {
      overview: ['/api/stats'],
      people: [`/api/user?email=${person}&events=50&explain=1`, `/api/user/merges?email=${person}`],
      cohorts: ['/api/cohorts'],
      audiences: ['/api/segments'],
      data: ['/api/raw?limit=50', '/api/raw?limit=50&status=rejected'],
      keys: ['/api/keys'],
    }
    const figures: Record<string, { cold_ms: number; warm_median_ms: number }> = {}
    for (const [page, requests] of Object.entries(pages)) {
      // A page asks for its data at once: its first data is there when the slowest of them answers.
      const once = async () => Math.max(...(await Promise.all(requests.map((r) => time(url, r)))))
      const cold = await once()
      const warm: number[] = []
      for (let i = 0; i < 20; i++) warm.push(await once())
      figures[page] = { cold_ms: Math.round(cold * 10) / 10, warm_median_ms: Math.round(median(warm) * 10) / 10 }
    }
    const browserFigures = await inBrowser(url, person)
    const stats = (await (await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { profiles?: number; compute_ms?: number }
    // compute_ms: what the overview's store-wide counts cost when recomputed (in the background, not per request).
    const result = { backend: BACKEND, profiles: stats.profiles, stats_compute_ms: stats.compute_ms, pages: figures, browser: browserFigures }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync(`bench/results/console-${BACKEND}.json`, `${JSON.stringify(result, null, 2)}\n`)
  } finally {
    child.kill('SIGTERM')
  }
}

await main()
