// Precision and recall of likely matches (issue #20) on a generated world with known ground truth,
// for docs/identity.md:
//   npx tsx bench/likely-matches.ts [--people 2000] [--days 14] [--seed 20] [--window 30] [--compare-off 1]
// --compare-off 1 also ingests the same world with the feature off, for what keeping sightings costs.
// The world (bench/likely-world.ts) goes through the real ingest (POST /v1/batch of an in-process app
// on a temporary SQLite database, CDP_LIKELY_MATCHES=on); every listed link is then judged against
// who is who, at several confidence thresholds.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { appDependencies, buildApp } from '../src/api/app.ts'
import { ensureBootstrapKey } from '../src/api/auth.ts'
import { openRuntime } from '../src/compose.ts'
import { loadConfig } from '../src/config.ts'
import { DEFAULT_MIN_CONFIDENCE } from '../src/domain/likely-match.ts'
import { DEFAULT_WORLD, figuresAt, generateWorld, ingestWorld, judgeLinks, reachablePairs, samePersonPairs } from './likely-world.ts'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
const parameters = {
  ...DEFAULT_WORLD,
  people: Number(args.get('people') ?? DEFAULT_WORLD.people),
  days: Number(args.get('days') ?? DEFAULT_WORLD.days),
  seed: Number(args.get('seed') ?? DEFAULT_WORLD.seed),
}
const WINDOW_MINUTES = Number(args.get('window') ?? 30)
const THRESHOLDS = [0.1, 0.2, 0.3, 0.4, DEFAULT_MIN_CONFIDENCE, 0.6, 0.7, 0.8, 0.9].sort((a, b) => a - b).filter((t, i, all) => all.indexOf(t) === i)
const COMPARE_OFF = args.get('compare-off') === '1'
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'
const world = generateWorld(parameters)
console.log(`world: ${JSON.stringify(parameters)}; window ${WINDOW_MINUTES} min`)
console.log(`${world.messages.length} messages, ${world.personOf.size} cookies (profiles)`)

/** An in-process app on a temporary SQLite database; `work` runs with it open. */
async function withApp(likely: 'on' | 'off', work: (app: Awaited<ReturnType<typeof buildApp>>, auth: { authorization: string }) => Promise<void>): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-likely-'))
  const runtime = await openRuntime(loadConfig({ CDP_DATA_DIR: dataDir, CDP_LOG_LEVEL: 'silent', CDP_ADMIN_KEY: ADMIN_KEY, CDP_LIKELY_MATCHES: likely, CDP_LIKELY_MATCH_WINDOW_MINUTES: String(WINDOW_MINUTES) }))
  try {
    await ensureBootstrapKey(runtime.store, ADMIN_KEY)
    const app = await buildApp(appDependencies(runtime))
    await work(app, { authorization: `Bearer ${ADMIN_KEY}` })
    await app.close()
  } finally {
    await runtime.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

if (COMPARE_OFF) {
  // Alternating runs, medians: the machine is shared, so one run of each says little.
  // CPU seconds of this process too (SQLite and the prepare workers run in it): less swayed by other load than wall time.
  const seconds: Record<'off' | 'on', number[]> = { off: [], on: [] }
  const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] }
  for (let round = 0; round < 3; round++) {
    for (const likely of ['off', 'on'] as const) {
      await withApp(likely, async (app, auth) => {
        const started = performance.now()
        const startedCpu = process.cpuUsage()
        await ingestWorld(app, world, auth)
        seconds[likely].push((performance.now() - started) / 1000)
        const used = process.cpuUsage(startedCpu)
        cpu[likely].push((used.user + used.system) / 1e6)
      })
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  const runs = (xs: number[]) => `${median(xs).toFixed(1)} s (${xs.map((x) => x.toFixed(1)).join(', ')})`
  console.log(`ingest, median of 3 alternating runs: wall off ${runs(seconds.off)}, on ${runs(seconds.on)}; CPU off ${runs(cpu.off)}, on ${runs(cpu.on)}`)
}

await withApp('on', async (app, auth) => {
  let started = performance.now()
  await ingestWorld(app, world, auth)
  console.log(`ingest with likely matches on: ${((performance.now() - started) / 1000).toFixed(1)} s`)
  started = performance.now()
  const first = await app.inject({ method: 'GET', url: '/api/user/likely-matches', headers: auth })
  console.log(`one page (the default: 50 links at confidence >= ${DEFAULT_MIN_CONFIDENCE}, of ${first.json().total}): ${Math.round(performance.now() - started)} ms`)
  const reachable = reachablePairs(world, WINDOW_MINUTES * 60_000)
  started = performance.now()
  const outcomes = await judgeLinks(app, world, auth, reachable)
  console.log(`listing every link (${outcomes.length}): ${((performance.now() - started) / 1000).toFixed(1)} s`)
  const totals = { reachable: reachable.size, all: samePersonPairs(world) }
  console.log(`same-person pairs: ${totals.all}; of them seen together on one IP and user agent within the window: ${totals.reachable}`)
  console.log('\n| min_confidence | links | correct | precision | recall (seen together) | recall (all same-person pairs) |')
  console.log('|---:|---:|---:|---:|---:|---:|')
  for (const f of figuresAt(outcomes, THRESHOLDS, totals)) {
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`
    console.log(`| ${f.threshold}${f.threshold === DEFAULT_MIN_CONFIDENCE ? ' (default)' : ''} | ${f.links} | ${f.correct} | ${pct(f.precision)} | ${pct(f.recallReachable)} | ${pct(f.recallAll)} |`)
  }
})
