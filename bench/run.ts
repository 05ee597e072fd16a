// `npm run bench`: end-to-end figures for docs/benchmarks.md, on each backend, with issue #14's targets
// and each write figure's ratio to the floor (bench/floor.ts) measured in the same run.
//   npm run bench -- --profiles 1000000 --backend sqlite|postgres|both --duration 10
//                    [--phases floor,import,bulk,single,user,cohort,segment] [--server dist|tsx] [--pg URL]
// The server runs as its own process (so its peak RSS is its own); load comes from autocannon.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { runFloorOnFreshFile, type FloorFigures } from './floor.ts'
import { random, writeNdjsonFile } from './generate.ts'
import { cliArgs, ensureBuilt, parseServerMode, peakRssMb, startServer, stopServer } from './server.ts'
import { type Backend, freshStore, parseBackend } from './store.ts'

const PHASES = ['floor', 'import', 'bulk', 'single', 'user', 'cohort', 'segment'] as const
type Phase = (typeof PHASES)[number]

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const PROFILES = Number(args.get('profiles') ?? 1_000_000)
const DURATION = Number(args.get('duration') ?? 10)
const BACKENDS: Backend[] = (args.get('backend') ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [parseBackend(args.get('backend'))]
const PG_URL = args.get('pg') ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SERVER = parseServerMode(args.get('server'))
const SELECTED = new Set((args.get('phases') ?? PHASES.join(',')).split(',').map((p) => p.trim()))
for (const p of SELECTED) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--phases: unknown phase ${p} (phases: ${PHASES.join(',')})`)
const has = (phase: Phase) => SELECTED.has(phase)
const KEY = 'bench-admin-key-0123456789abcdef'
const BATCH = 1000
/** The business segment of the segment phase: a cohort and a field, as marketers combine them. */
const SEGMENT = { name: 'Sports cohort, age 30+', conditions: { all: [{ cohort: 'Sports' }, { field: 'age', op: 'gte', value: 30 }] } }

interface LoadFigures {
  req_per_s: number
  p50_ms: number
  p99_ms: number
  errors: number
}
interface ImportFigures {
  rows: number
  /** The CLI's own figure (its report): from the opened store to the end, ANALYZE included. */
  rows_per_s: number
  /** The child process from spawn to exit: start-up and the model's loading included. */
  wall_seconds: number
  peak_rss_mb: number
}
interface Figures {
  backend: Backend
  profiles: number
  server: string
  import?: ImportFigures
  bulk_records_per_s?: number
  bulk_seconds?: number
  single_ingest?: LoadFigures
  get_user?: LoadFigures
  cohort_first_page?: LoadFigures
  cohort_deep_cursor?: LoadFigures
  cohort_members?: number
  segment_backfill_seconds?: number
  segment_members?: number
  segment_first_page?: LoadFigures
  segment_deep_cursor?: LoadFigures
  /** The server's VmHWM read after each phase (it only grows: the last is the peak through the whole bench). */
  peak_rss_mb_after?: Record<string, number>
  peak_rss_mb?: number
  /** Write figures over the floor's records/s. */
  ratio_to_floor?: Record<string, number>
}

/** The file's lines in bodies of `size` lines, read in chunks of 4 MB. */
function* ndjsonBodies(file: string, size: number): Generator<string> {
  const fd = fs.openSync(file, 'r')
  const chunk = Buffer.alloc(4 * 1024 * 1024)
  // A chunk may end inside a character (São Paulo): the decoder keeps its first bytes for the next.
  const decoder = new StringDecoder('utf8')
  let rest = ''
  let lines: string[] = []
  try {
    for (let n = fs.readSync(fd, chunk); n > 0; n = fs.readSync(fd, chunk)) {
      const parts = (rest + decoder.write(chunk.subarray(0, n))).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) {
        if (line === '') continue
        lines.push(line)
        if (lines.length === size) {
          yield lines.join('\n')
          lines = []
        }
      }
    }
    if (rest !== '') lines.push(rest)
    if (lines.length > 0) yield lines.join('\n')
  } finally {
    fs.closeSync(fd)
  }
}

async function bulkIngest(url: string, file: string): Promise<{ seconds: number; rate: number }> {
  const started = performance.now()
  // Bodies are cut from the NDJSON file the floor and `cdp import` read: the same bytes, and the
  // client does no JSON work of its own on the two cores it shares with the server.
  const bodies = ndjsonBodies(file, BATCH)
  let sent = 0
  const nextBody = (): string | undefined => {
    const next = bodies.next()
    return next.done ? undefined : next.value
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

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${KEY}` } })
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${(await response.text()).slice(0, 300)}`)
  return (await response.json()) as T
}

/** Walks every page of 1,000 (`pagePath` ends in `?` or `&`) and keeps each cursor, to load random depths. */
async function walkCursors(url: string, pagePath: string): Promise<{ cursors: string[]; members: number }> {
  const cursors: string[] = []
  let cursor: string | null = null
  let members = 0
  do {
    const page: { next_cursor: string | null; total: number } = await getJson(`${url}${pagePath}limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
    members = page.total
    cursor = page.next_cursor
    if (cursor) cursors.push(cursor)
  } while (cursor)
  return { cursors, members }
}

/** The first page of 50, then pages of 50 at random cursors over the whole list. */
async function loadPages(url: string, pagePath: string, seed: number): Promise<{ first: LoadFigures; deep: LoadFigures; members: number }> {
  const { cursors, members } = await walkCursors(url, pagePath)
  const next = random(seed)
  const first = await load({ url, requests: [{ method: 'GET', path: `${pagePath}limit=50` }] })
  const deep = await load({
    url,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: `${pagePath}limit=50&cursor=${cursors[Math.floor(next() * cursors.length)] ?? ''}` }),
      },
    ],
  })
  return { first, deep, members }
}

async function createSegment(url: string): Promise<{ id: string; seconds: number; members: number }> {
  const started = performance.now()
  const response = await fetch(`${url}/api/segments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(SEGMENT),
  })
  if (response.status !== 201) throw new Error(`POST /api/segments: ${response.status} ${(await response.text()).slice(0, 300)}`)
  const { id } = (await response.json()) as { id: string }
  // The backfill runs in the background; its members are complete once the state is ready.
  for (;;) {
    const segment: { state: string; members: number } = await getJson(`${url}/api/segments/${id}`)
    if (segment.state === 'ready') return { id, seconds: Math.round((performance.now() - started) / 100) / 10, members: segment.members }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** `cdp import FILE` as users run it, on a fresh store; its figures from the report it writes. */
async function runImport(backend: Backend, file: string): Promise<ImportFigures> {
  const store = await freshStore(backend, { pgUrl: PG_URL, label: 'import' })
  try {
    if (SERVER === 'dist') ensureBuilt()
    const reportFile = path.join(store.dataDir, 'import-report.json')
    const started = performance.now()
    const child = spawn(process.execPath, cliArgs(SERVER, ['import', file, '--quiet', '--report', reportFile]), {
      env: { ...process.env, ...store.env, CDP_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', resolve)
    })
    const wallSeconds = (performance.now() - started) / 1000
    if (code !== 0) throw new Error(`cdp import exited with ${code}`)
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { rows_read: number; accepted: number; rejected: number; rows_per_second: number; peak_rss_mb: number }
    if (report.rows_read !== PROFILES || report.rejected > 0) throw new Error(`cdp import: ${report.rows_read} rows read, ${report.rejected} rejected (expected ${PROFILES}, 0)`)
    return { rows: report.rows_read, rows_per_s: report.rows_per_second, wall_seconds: Math.round(wallSeconds * 10) / 10, peak_rss_mb: report.peak_rss_mb }
  } finally {
    await store.cleanup()
  }
}

async function serverPhases(backend: Backend, figures: Figures, input: string | undefined): Promise<void> {
  const needsData = has('bulk') || has('user') || has('cohort') || has('segment')
  if (!needsData && !has('single')) return
  const store = await freshStore(backend, { pgUrl: PG_URL, label: backend })
  const { child, url } = await startServer(store.env, KEY, SERVER)
  const rssAfter: Record<string, number> = { start: peakRssMb(child.pid as number) }
  const phaseDone = (phase: string) => {
    rssAfter[phase] = peakRssMb(child.pid as number)
  }
  try {
    if (needsData) {
      // GET /api/user, the cohort and the segment need the profiles: they are loaded (and measured) whenever one runs.
      if (!input) throw new Error('bulk ingest reads the generated NDJSON file')
      process.stderr.write(`[${backend}] bulk ingest of ${PROFILES} profiles\n`)
      const bulk = await bulkIngest(url, input)
      figures.bulk_records_per_s = bulk.rate
      figures.bulk_seconds = Math.round(bulk.seconds * 10) / 10
      phaseDone('bulk')
    }

    if (has('single')) {
      process.stderr.write(`[${backend}] single-record ingest, 50 clients\n`)
      let n = 0
      figures.single_ingest = await load({
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
      phaseDone('single')
    }

    if (has('user')) {
      process.stderr.write(`[${backend}] GET /api/user\n`)
      const next = random(7)
      figures.get_user = await load({
        url,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({ ...request, path: `/api/user?cookie=ck_1_${Math.floor(next() * PROFILES).toString(36)}` }),
          },
        ],
      })
      phaseDone('user')
    }

    if (has('cohort')) {
      process.stderr.write(`[${backend}] cohort pages\n`)
      const pages = await loadPages(url, '/api/cohort/users?cohort=sports&', 11)
      figures.cohort_first_page = pages.first
      figures.cohort_deep_cursor = pages.deep
      figures.cohort_members = pages.members
      phaseDone('cohort')
    }

    if (has('segment')) {
      process.stderr.write(`[${backend}] segment "${SEGMENT.name}": backfill, then member pages\n`)
      const segment = await createSegment(url)
      figures.segment_backfill_seconds = segment.seconds
      figures.segment_members = segment.members
      phaseDone('segment_backfill')
      const pages = await loadPages(url, `/api/segments/${segment.id}/users?`, 13)
      figures.segment_first_page = pages.first
      figures.segment_deep_cursor = pages.deep
      phaseDone('segment')
    }
    figures.peak_rss_mb_after = rssAfter
    figures.peak_rss_mb = peakRssMb(child.pid as number)
  } finally {
    await stopServer(child)
    await store.cleanup()
  }
}

async function benchBackend(backend: Backend, input: string | undefined, floor: FloorFigures | undefined): Promise<Figures> {
  const figures: Figures = { backend, profiles: PROFILES, server: SERVER }
  if (has('import') && input) {
    process.stderr.write(`[${backend}] cdp import of ${PROFILES} profiles\n`)
    figures.import = await runImport(backend, input)
  }
  await serverPhases(backend, figures, input)
  if (floor) {
    const ratio = (rate: number | undefined) => (rate === undefined ? undefined : Math.round((rate / floor.records_per_s) * 100) / 100)
    const ratios: Record<string, number | undefined> = {
      import: ratio(figures.import?.rows_per_s),
      bulk: ratio(figures.bulk_records_per_s),
      single: ratio(figures.single_ingest?.req_per_s),
    }
    figures.ratio_to_floor = Object.fromEntries(Object.entries(ratios).filter((entry): entry is [string, number] => entry[1] !== undefined))
  }
  return figures
}

// Issue #14's targets: 2 cores, 1M profiles, the embedded store unless the row says PostgreSQL.
interface Target {
  text: string
  met: (f: Figures) => boolean | undefined
}
const loadMet = (l: LoadFigures | undefined, rate: number, p99: number) => (l === undefined ? undefined : l.req_per_s >= rate && l.p99_ms <= p99)
const pageMet = (l: LoadFigures | undefined) => (l === undefined ? undefined : l.p99_ms <= 10)
const TARGETS: Record<Backend, Record<string, Target>> = {
  sqlite: {
    import: { text: '≥ 25,000 records/s, peak RSS ≤ 400 MB, ratio ≥ 0.7', met: (f) => f.import && f.import.rows_per_s >= 25_000 && f.import.peak_rss_mb <= 400 && (f.ratio_to_floor?.import ?? 1) >= 0.7 },
    bulk: { text: '≥ 20,000 records/s', met: (f) => (f.bulk_records_per_s === undefined ? undefined : f.bulk_records_per_s >= 20_000) },
    single: { text: 'none set', met: () => undefined },
    user: { text: '≥ 10,000 req/s, p99 ≤ 5 ms', met: (f) => loadMet(f.get_user, 10_000, 5) },
    cohort_first: { text: 'p99 ≤ 10 ms', met: (f) => pageMet(f.cohort_first_page) },
    cohort_deep: { text: 'p99 ≤ 10 ms', met: (f) => pageMet(f.cohort_deep_cursor) },
    segment_first: { text: 'p99 ≤ 10 ms', met: (f) => pageMet(f.segment_first_page) },
    segment_deep: { text: 'p99 ≤ 10 ms', met: (f) => pageMet(f.segment_deep_cursor) },
    rss: { text: '≤ 400 MB', met: (f) => (f.peak_rss_mb === undefined ? undefined : f.peak_rss_mb <= 400) },
  },
  postgres: {
    import: { text: 'none set (SQLite: ≥ 25,000 records/s)', met: () => undefined },
    bulk: { text: '≥ 10,000 records/s', met: (f) => (f.bulk_records_per_s === undefined ? undefined : f.bulk_records_per_s >= 10_000) },
    single: { text: 'none set', met: () => undefined },
    user: { text: '≥ 4,000 req/s, p99 ≤ 20 ms', met: (f) => loadMet(f.get_user, 4_000, 20) },
    cohort_first: { text: 'none set (SQLite: p99 ≤ 10 ms)', met: () => undefined },
    cohort_deep: { text: 'none set (SQLite: p99 ≤ 10 ms)', met: () => undefined },
    segment_first: { text: 'none set (SQLite: p99 ≤ 10 ms)', met: () => undefined },
    segment_deep: { text: 'none set (SQLite: p99 ≤ 10 ms)', met: () => undefined },
    rss: { text: 'none set (SQLite: ≤ 400 MB)', met: () => undefined },
  },
}

const n = (value: number) => value.toLocaleString('en-US')
const lf = (l: LoadFigures) => `${n(l.req_per_s)} req/s, p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms${l.errors ? `, ${n(l.errors)} errors` : ''}`

function table(f: Figures, floor: FloorFigures | undefined): string {
  const targets = TARGETS[f.backend]
  const rows: string[] = [`| ${n(f.profiles)} profiles, ${f.backend} (server: ${f.server}) | measured | target | ratio to floor |`, '|---|---|---|---|']
  const add = (label: string, value: string | undefined, key: string | undefined, ratio?: number) => {
    if (value === undefined) return
    const target = key ? targets[key] : undefined
    const met = target?.met(f)
    rows.push(`| ${label} | ${value} | ${target ? `${target.text}${met === undefined ? '' : met ? ' ✓' : ' ✗'}` : ''} | ${ratio === undefined ? '' : ratio.toFixed(2)} |`)
  }
  add('floor: direct SQLite writer, same records', floor && `${n(floor.records_per_s)} records/s (${floor.seconds} s)`, undefined, floor && 1)
  add('`cdp import` (NDJSON file)', f.import && `${n(f.import.rows_per_s)} rows/s (${f.import.wall_seconds} s wall), peak RSS ${f.import.peak_rss_mb} MB`, 'import', f.ratio_to_floor?.import)
  add('bulk ingest (NDJSON × 1000, HTTP, two in flight)', f.bulk_records_per_s === undefined ? undefined : `${n(f.bulk_records_per_s)} records/s (${f.bulk_seconds} s)`, 'bulk', f.ratio_to_floor?.bulk)
  add('single-record ingest, 50 clients', f.single_ingest && lf(f.single_ingest), 'single', f.ratio_to_floor?.single)
  add('GET /api/user, 50 clients', f.get_user && lf(f.get_user), 'user')
  add('GET /api/cohort/users first page', f.cohort_first_page && lf(f.cohort_first_page), 'cohort_first')
  add('GET /api/cohort/users by cursor, any depth', f.cohort_deep_cursor && `${lf(f.cohort_deep_cursor)} (${n(f.cohort_members ?? 0)} members)`, 'cohort_deep')
  add(`segment "${SEGMENT.name}" backfill`, f.segment_backfill_seconds === undefined ? undefined : `${f.segment_backfill_seconds} s (${n(f.segment_members ?? 0)} members)`, undefined)
  add('GET /api/segments/:id/users first page', f.segment_first_page && lf(f.segment_first_page), 'segment_first')
  add('GET /api/segments/:id/users by cursor, any depth', f.segment_deep_cursor && lf(f.segment_deep_cursor), 'segment_deep')
  const after = f.peak_rss_mb_after ? ` (after ${Object.entries(f.peak_rss_mb_after).map(([phase, mb]) => `${phase} ${mb}`).join(', ')})` : ''
  add('server peak RSS through the bench', f.peak_rss_mb === undefined ? undefined : `${f.peak_rss_mb} MB${after}`, 'rss')
  return rows.join('\n')
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-input-'))
try {
  // The records as an NDJSON file, written before anything is timed: the floor and `cdp import` read it.
  let input: string | undefined
  if (has('floor') || has('import') || has('bulk') || has('user') || has('cohort') || has('segment')) {
    input = path.join(workDir, 'records.ndjson')
    process.stderr.write(`bench: writing ${PROFILES} generated records to ${input}\n`)
    writeNdjsonFile(input, PROFILES, 1)
  }
  let floor: FloorFigures | undefined
  if (has('floor') && input) {
    process.stderr.write(`floor: direct SQLite writer, ${PROFILES} records\n`)
    floor = runFloorOnFreshFile(input)
    process.stderr.write(`  floor: ${floor.records_per_s} records/s\n`)
  }
  const results: Figures[] = []
  for (const backend of BACKENDS) {
    const figures = await benchBackend(backend, input, floor)
    results.push(figures)
    process.stdout.write(`${JSON.stringify(figures)}\n`)
  }
  fs.mkdirSync('bench/results', { recursive: true })
  const summary = {
    when: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`,
    phases: PHASES.filter(has),
    floor,
    targets: Object.fromEntries(BACKENDS.map((b) => [b, Object.fromEntries(Object.entries(TARGETS[b]).map(([key, t]) => [key, t.text]))])),
    results,
  }
  fs.writeFileSync('bench/results/latest.json', `${JSON.stringify(summary, null, 2)}\n`)
  process.stdout.write(`\n${results.map((f) => table(f, floor)).join('\n\n')}\n`)
} finally {
  fs.rmSync(workDir, { recursive: true, force: true })
}
