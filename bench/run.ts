// `npm run bench`: end-to-end figures for docs/benchmarks.md, on each backend.
//   npm run bench -- --profiles 1000000 --backend sqlite|postgres|both --duration 10
// The server runs as its own process (so its peak RSS is its own); load comes from autocannon.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { generateRecords, random } from './generate.ts'
import { peakRssMb, startServer } from './server.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const PROFILES = Number(args.get('profiles') ?? 1_000_000)
const DURATION = Number(args.get('duration') ?? 10)
const BACKENDS = (args.get('backend') ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [args.get('backend') as string]
const PG_URL = args.get('pg') ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const KEY = 'bench-admin-key-0123456789abcdef'
const BATCH = 1000

interface Figures {
  backend: string
  profiles: number
  bulk_records_per_s: number
  bulk_seconds: number
  single_ingest: LoadFigures
  get_user: LoadFigures
  cohort_first_page: LoadFigures
  cohort_deep_cursor: LoadFigures
  cohort_members: number
  peak_rss_mb: number
}
interface LoadFigures {
  req_per_s: number
  p50_ms: number
  p99_ms: number
  errors: number
}

async function bulkIngest(url: string): Promise<{ seconds: number; rate: number }> {
  const started = performance.now()
  const records = generateRecords(PROFILES, 1)
  let done = false
  let sent = 0
  const nextBody = (): string | undefined => {
    if (done) return undefined
    const lines: string[] = []
    for (let i = 0; i < BATCH; i++) {
      const r = records.next()
      if (r.done) {
        done = true
        break
      }
      lines.push(JSON.stringify(r.value))
    }
    return lines.length > 0 ? lines.join('\n') : undefined
  }
  // Two requests in flight: the server parses and validates one batch while it writes the other.
  const worker = async () => {
    for (let body = nextBody(); body !== undefined; body = nextBody()) {
      const response = await fetch(`${url}/api/ingest?source=bench`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
        body,
      })
      const result = (await response.json()) as { records_processed?: number; records_failed?: number }
      if (response.status !== 200 || result.records_failed) throw new Error(`bulk ingest failed: ${JSON.stringify(result).slice(0, 300)}`)
      sent += result.records_processed ?? 0
      if (sent % 100_000 === 0) process.stderr.write(`  bulk: ${sent} records, ${Math.round(sent / ((performance.now() - started) / 1000))}/s\n`)
    }
  }
  await Promise.all([worker(), worker()])
  const seconds = (performance.now() - started) / 1000
  return { seconds, rate: Math.round(sent / seconds) }
}

async function load(options: autocannon.Options): Promise<LoadFigures> {
  const result = await autocannon({ duration: DURATION, connections: 50, ...options, headers: { authorization: `Bearer ${KEY}`, ...options.headers } })
  return {
    req_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}

async function cohortCursors(url: string): Promise<{ cursors: string[]; members: number }> {
  const cursors: string[] = []
  let cursor: string | null = null
  let members = 0
  do {
    const response = await fetch(`${url}/api/cohort/users?cohort=sports&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${KEY}` },
    })
    const page = (await response.json()) as { next_cursor: string | null; total: number }
    members = page.total
    cursor = page.next_cursor
    if (cursor) cursors.push(cursor)
  } while (cursor)
  return { cursors, members }
}

async function benchBackend(backend: string): Promise<Figures> {
  let env: Record<string, string>
  let cleanup: () => Promise<void>
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-'))
  if (backend === 'postgres') {
    const name = `cdp_bench_test_${Date.now()}`
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const url = new URL(PG_URL)
    url.pathname = `/${name}`
    env = { DATABASE_URL: url.toString(), CDP_DATA_DIR: dataDir }
    cleanup = async () => {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    }
  } else {
    env = { CDP_DATA_DIR: dataDir }
    cleanup = async () => fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const { child, url } = await startServer(env, KEY)
  try {
    process.stderr.write(`[${backend}] bulk ingest of ${PROFILES} profiles\n`)
    const bulk = await bulkIngest(url)

    process.stderr.write(`[${backend}] single-record ingest, 50 clients\n`)
    let n = 0
    const single = await load({
      url,
      requests: [
        {
          method: 'POST',
          path: '/api/ingest?source=bench-single',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            n++
            const email = n % 3 === 0 ? `,"email":"single${n}@example.net"` : ''
            return { ...request, body: `{"cookie":"single_${process.pid}_${n}"${email},"interests":["golf","sushi"]}` }
          },
        },
      ],
    })

    process.stderr.write(`[${backend}] GET /api/user\n`)
    const next = random(7)
    const getUser = await load({
      url,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({ ...request, path: `/api/user?cookie=ck_1_${Math.floor(next() * PROFILES).toString(36)}` }),
        },
      ],
    })

    process.stderr.write(`[${backend}] cohort pages\n`)
    const { cursors, members } = await cohortCursors(url)
    const firstPage = await load({ url, requests: [{ method: 'GET', path: '/api/cohort/users?cohort=sports&limit=50' }] })
    const deep = await load({
      url,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({
            ...request,
            path: `/api/cohort/users?cohort=sports&limit=50&cursor=${cursors[Math.floor(next() * cursors.length)] ?? ''}`,
          }),
        },
      ],
    })
    return {
      backend,
      profiles: PROFILES,
      bulk_records_per_s: bulk.rate,
      bulk_seconds: Math.round(bulk.seconds * 10) / 10,
      single_ingest: single,
      get_user: getUser,
      cohort_first_page: firstPage,
      cohort_deep_cursor: deep,
      cohort_members: members,
      peak_rss_mb: peakRssMb(child.pid as number),
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    await cleanup()
  }
}

const results: Figures[] = []
for (const backend of BACKENDS) {
  const figures = await benchBackend(backend)
  results.push(figures)
  process.stdout.write(`${JSON.stringify(figures)}\n`)
}
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync(`bench/results/latest.json`, `${JSON.stringify({ when: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`, results }, null, 2)}\n`)
const row = (label: string, f: (r: Figures) => string) => `| ${label} | ${results.map(f).join(' | ')} |`
const lf = (l: LoadFigures) => `${l.req_per_s} req/s, p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms${l.errors ? `, ${l.errors} errors` : ''}`
process.stdout.write(
  [
    `| ${PROFILES} profiles | ${results.map((r) => r.backend).join(' | ')} |`,
    `|---|${results.map(() => '---').join('|')}|`,
    row('bulk ingest (NDJSON × 1000, HTTP)', (r) => `${r.bulk_records_per_s} records/s (${r.bulk_seconds} s)`),
    row('single-record ingest, 50 clients', (r) => lf(r.single_ingest)),
    row('GET /api/user, 50 clients', (r) => lf(r.get_user)),
    row('GET /api/cohort/users first page', (r) => lf(r.cohort_first_page)),
    row('GET /api/cohort/users by cursor, any depth', (r) => `${lf(r.cohort_deep_cursor)} (${r.cohort_members} members)`),
    row('server peak RSS', (r) => `${r.peak_rss_mb} MB`),
  ].join('\n') + '\n',
)
