// Probabilistic matching (issue #20, opt-in): anonymous profiles seen on the same IP address with the
// same user agent, close in time, are "likely the same person". Pure rules over device sightings;
// storage loads the sightings (storage/sql/likely-match-store.ts) and privacy/likely-matches.ts pages
// the result. A likely match is only ever a suggestion: nothing here merges anyone.
//
// How confidence is derived. Each co-occurrence (two profiles' cookies on one IP and user agent
// within the window) is a piece of evidence q in [0, 1):
//   q = BASE × closeness × 1 / (others on the same IP and user agent then + 1) × 1 / (1 + ln(crowd on the IP / crowd on the pair))
// - closeness falls linearly from 1 (same moment) to 1 − CLOSENESS_DROP at the window's edge;
// - a crowd behind the same IP and user agent (an office NAT, a carrier's shared address, a popular
//   phone) divides the evidence among everyone who could be the other side;
// - many other devices behind the IP (other user agents) lower it further, gently: the address is a
//   shared one, so even an exact user agent match is weaker.
// Distinct co-occurrences add up as independent evidence: confidence = 1 − Π(1 − q). One session is
// one piece of evidence however long (co-occurrences on one IP and user agent less than a window apart
// form an episode; its strongest q counts), and BASE < 0.5, so a single episode never reaches the
// default threshold. Two cookies of one browser (a site and its help centre, a private window) meet
// again and again within minutes; strangers behind one address meet at random, loosely, among many.
// bench/likely-matches.ts measures the result (docs/identity.md).

/** One cookie seen on an IP address with a user agent: the first time in its slot (see SIGHTING_SLOT_MS). */
export interface DeviceSighting {
  cookie: string
  ip: string
  userAgent: string
  at: number
}

/** A sighting with the profile its cookie resolves to now. */
export interface OwnedSighting extends DeviceSighting {
  profileId: string
  /** The profile has no email and no user id: it is known only by cookies. */
  anonymous: boolean
}

/** One time two profiles were seen together. */
export interface CoOccurrence {
  ip: string
  userAgent: string
  /** The earlier of the two sightings. */
  at: number
  /** Milliseconds between the two sightings. */
  gapMs: number
  cookies: [string, string]
  /** Other profiles on the same IP and user agent within the window. */
  othersSameUserAgent: number
  /** Other profiles on the IP (any user agent) within the window. */
  othersSameIp: number
  /** This co-occurrence's own evidence, q above. */
  weight: number
}

export interface LikelyMatch {
  /** The two profiles, in id order. */
  profileIds: [string, string]
  confidence: number
  /** Distinct co-occurrences (IP, user agent, window slot). */
  count: number
  firstAt: number
  lastAt: number
  /** The strongest co-occurrences first, at most MAX_EVIDENCE. */
  evidence: CoOccurrence[]
}

/** Sightings are kept once per (cookie, IP, user agent) per slot of this length: enough resolution for a 30-minute window. */
export const SIGHTING_SLOT_MS = 5 * 60_000
/** The evidence of one co-occurrence at a quiet address, at the same moment. */
export const BASE_WEIGHT = 0.45
/** How much weaker a co-occurrence at the window's edge is than one at the same moment. */
export const CLOSENESS_DROP = 0.8
/** The confidence below which a link is not listed unless asked for (GET /api/user/likely-matches). */
export const DEFAULT_MIN_CONFIDENCE = 0.5
/** Co-occurrences listed per link. */
export const MAX_EVIDENCE = 10
/** Never certain: an admin decides. */
const MAX_CONFIDENCE = 0.99

/** The slot a sighting at `at` is kept in. */
export function sightingSlot(at: number): number {
  return Math.floor(at / SIGHTING_SLOT_MS)
}

/** The evidence of one co-occurrence (see the header). */
export function coOccurrenceWeight(input: { gapMs: number; windowMs: number; othersSameUserAgent: number; othersSameIp: number }): number {
  const closeness = 1 - CLOSENESS_DROP * Math.min(1, input.gapMs / input.windowMs)
  const crowdPair = input.othersSameUserAgent + 2
  const crowdIp = Math.max(crowdPair, input.othersSameIp + 2)
  return (BASE_WEIGHT * closeness) / (input.othersSameUserAgent + 1) / (1 + Math.log(crowdIp / crowdPair))
}

/** 1 − Π(1 − q): independent pieces of evidence. */
export function combineWeights(weights: Iterable<number>): number {
  let miss = 1
  for (const q of weights) miss *= 1 - q
  return Math.min(MAX_CONFIDENCE, 1 - miss)
}

/**
 * Every pair of anonymous profiles seen on one IP address with one user agent within `windowMs`,
 * with its confidence and evidence, strongest first. Identified profiles count in the crowd but are
 * never a side of a link; two cookies of one profile are no link.
 */
export function findLikelyMatches(sightings: readonly OwnedSighting[], options: { windowMs: number }): LikelyMatch[] {
  const { windowMs } = options
  const byIp = new Map<string, OwnedSighting[]>()
  for (const s of sightings) {
    const list = byIp.get(s.ip)
    if (list) list.push(s)
    else byIp.set(s.ip, [s])
  }
  // profile pair -> slot key -> the strongest co-occurrence in that slot
  const pairs = new Map<string, Map<string, CoOccurrence>>()
  for (const group of byIp.values()) {
    if (group.length < 2) continue
    group.sort((a, b) => a.at - b.at || compare(a.cookie, b.cookie))
    for (let i = 0; i < group.length; i++) {
      const s = group[i] as OwnedSighting
      if (!s.anonymous) continue
      for (let j = i + 1; j < group.length; j++) {
        const t = group[j] as OwnedSighting
        const gapMs = t.at - s.at
        if (gapMs > windowMs) break
        if (!t.anonymous || t.userAgent !== s.userAgent || t.profileId === s.profileId) continue
        const othersSameIp = othersAround(group, i, j, windowMs, () => true)
        const othersSameUserAgent = othersAround(group, i, j, windowMs, (o) => o.userAgent === s.userAgent)
        const weight = coOccurrenceWeight({ gapMs, windowMs, othersSameUserAgent, othersSameIp })
        const [first, second] = compare(s.profileId, t.profileId) < 0 ? [s, t] : [t, s]
        const pairKey = `${first.profileId}\u0000${second.profileId}`
        const slotKey = `${s.ip}\u0000${s.userAgent}\u0000${Math.floor(s.at / windowMs)}`
        const slots = pairs.get(pairKey) ?? new Map<string, CoOccurrence>()
        pairs.set(pairKey, slots)
        const best = slots.get(slotKey)
        if (!best || best.weight < weight) {
          slots.set(slotKey, { ip: s.ip, userAgent: s.userAgent, at: s.at, gapMs, cookies: [first.cookie, second.cookie], othersSameUserAgent, othersSameIp, weight })
        }
      }
    }
  }
  const matches: LikelyMatch[] = []
  for (const [key, slots] of pairs) {
    const [a, b] = key.split('\u0000') as [string, string]
    const all = episodes([...slots.values()], windowMs)
    const times = all.map((o) => o.at)
    matches.push({
      profileIds: [a, b],
      confidence: combineWeights(all.map((o) => o.weight)),
      count: all.length,
      firstAt: Math.min(...times),
      lastAt: Math.max(...times),
      evidence: all.sort((x, y) => y.weight - x.weight || x.at - y.at).slice(0, MAX_EVIDENCE),
    })
  }
  return matches.sort(byConfidence)
}

/**
 * One session is one piece of evidence, however long: co-occurrences on one IP and user agent less
 * than a window apart form one episode, and only its strongest counts. Otherwise two strangers who
 * browse side by side for an hour would count as meeting twice.
 */
function episodes(all: CoOccurrence[], windowMs: number): CoOccurrence[] {
  all.sort((x, y) => compare(x.ip, y.ip) || compare(x.userAgent, y.userAgent) || x.at - y.at)
  const out: CoOccurrence[] = []
  let last: CoOccurrence | null = null
  let lastAt = 0
  for (const o of all) {
    if (last && o.ip === last.ip && o.userAgent === last.userAgent && o.at - lastAt <= windowMs) {
      if (o.weight > last.weight) out[out.length - 1] = o
      last = out[out.length - 1] as CoOccurrence
    } else {
      out.push(o)
      last = o
    }
    lastAt = o.at
  }
  return out
}

/** Strongest first; ties in a stable order (the pair's ids). */
export function byConfidence(x: LikelyMatch, y: LikelyMatch): number {
  return y.confidence - x.confidence || compare(x.profileIds[0], y.profileIds[0]) || compare(x.profileIds[1], y.profileIds[1])
}

/** Distinct profiles, other than the pair's, seen on the group's IP within the window of either side. */
function othersAround(group: readonly OwnedSighting[], i: number, j: number, windowMs: number, matches: (o: OwnedSighting) => boolean): number {
  const s = group[i] as OwnedSighting
  const t = group[j] as OwnedSighting
  const from = s.at - windowMs
  const to = t.at + windowMs
  const others = new Set<string>()
  // The group is sorted by time: walk outwards from the pair until the window ends.
  for (let k = i - 1; k >= 0 && (group[k] as OwnedSighting).at >= from; k--) note(group[k] as OwnedSighting)
  for (let k = i + 1; k < group.length && (group[k] as OwnedSighting).at <= to; k++) if (k !== j) note(group[k] as OwnedSighting)
  return others.size

  function note(o: OwnedSighting): void {
    if (o.profileId !== s.profileId && o.profileId !== t.profileId && matches(o)) others.add(o.profileId)
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
