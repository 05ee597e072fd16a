// The measurement of docs/identity.md in small (bench/likely-matches.ts is the full one): a generated
// world with a fixed seed goes through the real ingest, and the links listed at the default
// confidence are judged against who is who. The world is the same on every run, so are the figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MIN_CONFIDENCE } from '../../src/domain/likely-match.ts'
import { DEFAULT_WORLD, figuresAt, generateWorld, ingestWorld, judgeLinks, type LinkOutcome, reachablePairs, samePersonPairs, type World } from '../../bench/likely-world.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

/** The floors this test holds the rules to at the default threshold (the full bench measures more). */
const PRECISION_FLOOR = 0.9
const RECALL_FLOOR = 0.4

let t: TestApp
let world: World
let outcomes: LinkOutcome[]
let totals: { reachable: number; all: number }

beforeAll(async () => {
  t = await createTestApp({ CDP_LIKELY_MATCHES: 'on', CDP_LIKELY_MATCH_WINDOW_MINUTES: '30' })
  world = generateWorld({ ...DEFAULT_WORLD, seed: 7, people: 160, days: 5 })
  await ingestWorld(t.app, world, t.auth('ingest'))
  const reachable = reachablePairs(world, 30 * 60_000)
  totals = { reachable: reachable.size, all: samePersonPairs(world) }
  outcomes = await judgeLinks(t.app, world, t.auth('admin'), reachable)
}, 120_000)
afterAll(async () => {
  await t.close()
})

describe('likely matches on a generated world with known people', () => {
  it(`links mostly the same person at the default confidence (${DEFAULT_MIN_CONFIDENCE}): precision above ${PRECISION_FLOOR}`, () => {
    const [figures] = figuresAt(outcomes, [DEFAULT_MIN_CONFIDENCE], totals)
    expect(totals.reachable).toBeGreaterThan(20)
    expect(figures?.links).toBeGreaterThan(10)
    expect(figures?.precision).toBeGreaterThanOrEqual(PRECISION_FLOOR)
    expect(figures?.recallReachable).toBeGreaterThanOrEqual(RECALL_FLOOR)
  })

  it('trades recall for precision as the threshold rises: strangers behind shared addresses are listed at low confidence', () => {
    const [low, high] = figuresAt(outcomes, [0, DEFAULT_MIN_CONFIDENCE], totals)
    expect(low?.links).toBeGreaterThan(high?.links ?? 0)
    expect(low?.precision).toBeLessThan(high?.precision ?? 0)
    expect(outcomes.filter((o) => !o.correct).length).toBeGreaterThan(0)
  })
})
