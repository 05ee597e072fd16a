// A generated world with known ground truth for likely matches (issue #20): people with devices and
// cookies, households, offices behind one NAT address, mobile carriers' shared addresses, common
// user agents and time jitter. Used by bench/likely-matches.ts (the figures in docs/identity.md) and
// by test/integration/likely-matches-quality.test.ts (a small world, a precision floor).
import type { FastifyInstance } from 'fastify'

export interface WorldParameters {
  seed: number
  people: number
  days: number
  /** People per household: 1 to this many, sharing the home's address. */
  maxHousehold: number
  /** Share of people who work in an office, and the office sizes (people behind one NAT address). */
  officeShare: number
  officeSize: [number, number]
  /** Mobile carriers and the shared (CGNAT) addresses each one draws from, per session. */
  carriers: number
  carrierAddresses: number
  /** Distinct user agents of phones and of computers; the first few are by far the most common. */
  phoneUserAgents: number
  desktopUserAgents: number
  /** Chance that a device has a second site context with its own cookie (a help centre, a shop on another domain). */
  secondContext: number
  /** Chance per session of a private window: one more cookie, for that session only. */
  privateWindow: number
  /** Chance per session that the main cookie is reset (cleared, expired): a new cookie from then on. */
  cookieReset: number
  /** Sessions per person per day (mean). */
  sessionsPerDay: number
}

export const DEFAULT_WORLD: WorldParameters = {
  seed: 20,
  people: 2000,
  days: 14,
  maxHousehold: 4,
  officeShare: 0.5,
  officeSize: [10, 80],
  carriers: 3,
  carrierAddresses: 40,
  phoneUserAgents: 12,
  desktopUserAgents: 12,
  secondContext: 0.35,
  privateWindow: 0.03,
  cookieReset: 0.04,
  sessionsPerDay: 1.5,
}

export interface World {
  parameters: WorldParameters
  /** Segment-spec page messages, in time order. */
  messages: Array<Record<string, unknown>>
  /** cookie -> person */
  personOf: Map<string, number>
}

/** mulberry32: a small seeded generator, so a world is the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const START = Date.UTC(2026, 0, 5)
const MINUTE = 60_000

export function generateWorld(parameters: WorldParameters = DEFAULT_WORLD): World {
  const p = parameters
  const rand = random(p.seed)
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1))
  // Zipf-like: user agent k is chosen with weight 1/(k+1).
  const zipf = (n: number) => {
    const total = Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0)
    let r = rand() * total
    for (let k = 0; k < n; k++) {
      r -= 1 / (k + 1)
      if (r <= 0) return k
    }
    return n - 1
  }
  const poisson = (mean: number) => {
    const limit = Math.exp(-mean)
    let k = 0
    let product = rand()
    while (product > limit) {
      k++
      product *= rand()
    }
    return k
  }
  const phoneAgent = (k: number) => `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${k} like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1`
  const desktopAgent = (k: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/12${k}.0.0.0 Safari/537.36`

  let cookieCounter = 0
  const personOf = new Map<string, number>()
  const newCookie = (person: number) => {
    const cookie = `ck-${p.seed}-${++cookieCounter}`
    personOf.set(cookie, person)
    return cookie
  }

  interface Device {
    kind: 'phone' | 'computer'
    userAgent: string
    cookie: string
    second: string | null
  }
  interface Person {
    home: string
    office: string | null
    carrier: number
    devices: Device[]
  }
  const people: Person[] = []
  let household = 0
  let left = 0
  let officeId = 0
  let officeLeft = 0
  for (let i = 0; i < p.people; i++) {
    if (left === 0) {
      household++
      left = int(1, p.maxHousehold)
    }
    left--
    let office: string | null = null
    if (rand() < p.officeShare) {
      if (officeLeft === 0) {
        officeId++
        officeLeft = int(p.officeSize[0], p.officeSize[1])
      }
      officeLeft--
      office = `62.1.${Math.floor(officeId / 250)}.${officeId % 250}`
    }
    const devices: Device[] = []
    const device = (kind: Device['kind']): Device => ({
      kind,
      userAgent: kind === 'phone' ? phoneAgent(zipf(p.phoneUserAgents)) : desktopAgent(zipf(p.desktopUserAgents)),
      cookie: newCookie(i),
      second: rand() < p.secondContext ? newCookie(i) : null,
    })
    devices.push(device('phone'))
    if (rand() < 0.7) devices.push(device('computer'))
    if (rand() < 0.15) devices.push(device('phone'))
    people.push({ home: `81.2.${Math.floor(household / 250)}.${household % 250}`, office, carrier: int(0, p.carriers - 1), devices })
  }

  const messages: Array<Record<string, unknown>> = []
  let messageCounter = 0
  people.forEach((person, index) => {
    for (let day = 0; day < p.days; day++) {
      const weekday = (day % 7) < 5
      for (let s = poisson(p.sessionsPerDay); s > 0; s--) {
        const device = person.devices[int(0, person.devices.length - 1)] as Device
        const hour = int(7, 23)
        const atWork = weekday && person.office !== null && hour >= 9 && hour < 17 && rand() < 0.7
        // Phones away from home Wi-Fi go through the carrier's shared addresses.
        const onCarrier = device.kind === 'phone' && (atWork || rand() < 0.4)
        const ip = onCarrier ? `172.56.${person.carrier}.${int(1, p.carrierAddresses)}` : atWork ? (person.office as string) : person.home
        if (rand() < p.cookieReset) device.cookie = newCookie(index)
        const incognito = rand() < p.privateWindow ? newCookie(index) : null
        let at = START + day * 24 * 60 * MINUTE + hour * 60 * MINUTE + int(0, 59) * MINUTE + int(0, 59_999)
        for (let pages = int(2, 12); pages > 0; pages--) {
          const cookie = incognito !== null && rand() < 0.5 ? incognito : device.second !== null && rand() < 0.3 ? device.second : device.cookie
          messages.push({
            type: 'page',
            messageId: `w-${p.seed}-${++messageCounter}`,
            anonymousId: cookie,
            name: 'Page',
            timestamp: new Date(at).toISOString(),
            context: { ip, userAgent: device.userAgent },
          })
          // One to five minutes a page, with jitter to the second.
          at += int(1, 5) * MINUTE + int(-30_000, 30_000)
        }
      }
    }
  })
  messages.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)))
  return { parameters: p, messages, personOf }
}

/** Same-person pairs that a link could find: the two cookies seen on one IP and user agent within the window. */
export function reachablePairs(world: World, windowMs: number): Set<string> {
  const byAddress = new Map<string, Array<{ cookie: string; at: number }>>()
  for (const m of world.messages) {
    const context = m.context as { ip: string; userAgent: string }
    const key = `${context.ip}\u0000${context.userAgent}`
    const list = byAddress.get(key) ?? []
    list.push({ cookie: m.anonymousId as string, at: Date.parse(m.timestamp as string) })
    byAddress.set(key, list)
  }
  const pairs = new Set<string>()
  for (const list of byAddress.values()) {
    list.sort((a, b) => a.at - b.at)
    for (let i = 0; i < list.length; i++) {
      const s = list[i] as { cookie: string; at: number }
      for (let j = i + 1; j < list.length && (list[j] as { at: number }).at - s.at <= windowMs; j++) {
        const t = list[j] as { cookie: string; at: number }
        if (t.cookie !== s.cookie && world.personOf.get(t.cookie) === world.personOf.get(s.cookie)) pairs.add(pairKey(s.cookie, t.cookie))
      }
    }
  }
  return pairs
}

/** Every pair of cookies that belong to one person: what perfect matching would link. */
export function samePersonPairs(world: World): number {
  const cookies = new Map<number, number>()
  for (const person of world.personOf.values()) cookies.set(person, (cookies.get(person) ?? 0) + 1)
  let n = 0
  for (const c of cookies.values()) n += (c * (c - 1)) / 2
  return n
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
}

/** Sends the world through POST /v1/batch (the real ingest), in time order. */
export async function ingestWorld(app: FastifyInstance, world: World, auth: { authorization: string }, batchSize = 400): Promise<void> {
  for (let i = 0; i < world.messages.length; i += batchSize) {
    const batch = world.messages.slice(i, i + batchSize)
    const r = await app.inject({ method: 'POST', url: '/v1/batch', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ batch }) })
    if (r.statusCode !== 200 || r.json().rejected !== 0) throw new Error(`ingest failed: ${r.statusCode} ${r.body.slice(0, 500)}`)
  }
}

export interface LinkOutcome {
  confidence: number
  correct: boolean
  reachable: boolean
}

/** Every listed link (GET /api/user/likely-matches, min_confidence=0, all pages), judged against the truth. */
export async function judgeLinks(app: FastifyInstance, world: World, auth: { authorization: string }, reachable: ReadonlySet<string>): Promise<LinkOutcome[]> {
  const outcomes: LinkOutcome[] = []
  for (let offset = 0; ; offset += 1000) {
    const r = await app.inject({ method: 'GET', url: '/api/user/likely-matches', query: { min_confidence: '0', limit: '1000', offset: String(offset) }, headers: auth })
    if (r.statusCode !== 200) throw new Error(`listing failed: ${r.statusCode} ${r.body.slice(0, 500)}`)
    const body = r.json() as { total: number; likely_matches: Array<{ confidence: number; profiles: Array<{ cookies: string[] }> }> }
    for (const link of body.likely_matches) {
      // Every profile in this world is one cookie: nobody logs in.
      const [a, b] = link.profiles.map((side) => side.cookies[0] as string) as [string, string]
      outcomes.push({ confidence: link.confidence, correct: world.personOf.get(a) === world.personOf.get(b), reachable: reachable.has(pairKey(a, b)) })
    }
    if (offset + 1000 >= body.total) return outcomes
  }
}

export interface ThresholdFigures {
  threshold: number
  links: number
  correct: number
  precision: number
  /** Of the same-person pairs seen together on one IP and user agent within the window. */
  recallReachable: number
  /** Of every same-person pair, most of which never share an IP and user agent (other devices, reset cookies). */
  recallAll: number
}

export function figuresAt(outcomes: readonly LinkOutcome[], thresholds: readonly number[], totals: { reachable: number; all: number }): ThresholdFigures[] {
  return thresholds.map((threshold) => {
    const kept = outcomes.filter((o) => o.confidence >= threshold)
    const correct = kept.filter((o) => o.correct).length
    return {
      threshold,
      links: kept.length,
      correct,
      precision: kept.length === 0 ? 1 : correct / kept.length,
      recallReachable: totals.reachable === 0 ? 0 : correct / totals.reachable,
      recallAll: totals.all === 0 ? 0 : correct / totals.all,
    }
  })
}
