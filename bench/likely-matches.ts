// Precision and recall of likely matches (issue #20) on a generated world with known ground truth,
// for docs/identity.md:
//   npx tsx bench/likely-matches.ts [--people 2000] [--days 14] [--seed 20] [--window 30]
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
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-likely-'))
const runtime = await openRuntime(loadConfig({ CDP_DATA_DIR: dataDir, CDP_LOG_LEVEL: 'silent', CDP_ADMIN_KEY: ADMIN_KEY, CDP_LIKELY_MATCHES: 'on', CDP_LIKELY_MATCH_WINDOW_MINUTES: String(WINDOW_MINUTES) }))
try {
  await ensureBootstrapKey(runtime.store, ADMIN_KEY)
  const app = await buildApp(appDependencies(runtime))
  const auth = { authorization: `Bearer ${ADMIN_KEY}` }
  const world = generateWorld(parameters)
  console.log(`world: ${JSON.stringify(parameters)}; window ${WINDOW_MINUTES} min`)
  console.log(`${world.messages.length} messages, ${world.personOf.size} cookies (profiles)`)
  let started = performance.now()
  await ingestWorld(app, world, auth)
  console.log(`ingest: ${((performance.now() - started) / 1000).toFixed(1)} s`)
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
  await app.close()
} finally {
  await runtime.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
