// Likely matches (issue #20) through the real HTTP API and database: off by default (nothing kept),
// on: anonymous profiles on one IP and user agent are listed with confidence and evidence, never
// merged; a manual merge, an identified profile and an erasure each end a link.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const run = promisify(execFile)

const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1'
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36'
const BASE = Date.UTC(2026, 2, 2, 9, 0)
const minute = (n: number) => new Date(BASE + n * 60_000).toISOString()

let counter = 0
const cookie = (name: string) => `${name}-${++counter}`

interface LinkJson {
  profile_ids: [string, string]
  confidence: number
  profiles: Array<{ profile_id: string; cookies: string[] }>
  evidence: { count: number; ip: string; user_agent: string; first_at: string; co_occurrences: Array<{ ip: string; user_agent: string; cookies: string[]; gap_seconds: number }> }
}

function page(anonymousId: string, at: number, device: { ip?: string; userAgent?: string }) {
  return { type: 'page', anonymousId, name: 'Home', timestamp: minute(at), messageId: `m-${anonymousId}-${at}-${++counter}`, context: { ...device } }
}

async function send(t: TestApp, batch: unknown[], headers: Record<string, string> = {}) {
  const r = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...t.auth('ingest'), 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ batch }) })
  expect(r.statusCode, r.body).toBe(200)
  expect(r.json().rejected).toBe(0)
}

async function links(t: TestApp, query: Record<string, string> = {}): Promise<{ total: number; enabled: boolean; likely_matches: LinkJson[] }> {
  const r = await t.app.inject({ method: 'GET', url: '/api/user/likely-matches', query, headers: t.auth('admin') })
  expect(r.statusCode, r.body).toBe(200)
  return r.json()
}

async function profileId(t: TestApp, anonymousId: string): Promise<string> {
  const r = await t.user({ cookie: anonymousId })
  expect(r.status).toBe(200)
  return r.body.user_profile.profile_id
}

/** Two cookies of one browser, seen together on three mornings within minutes. */
async function sameBrowser(t: TestApp, ip: string, userAgent = PHONE): Promise<[string, string]> {
  const a = cookie('site')
  const b = cookie('help')
  const batch = [0, 24 * 60, 48 * 60].flatMap((day) => [page(a, day, { ip, userAgent }), page(b, day + 2, { ip, userAgent })])
  await send(t, batch)
  return [a, b]
}

describe('likely matches off (the default)', () => {
  let t: TestApp
  let direct: SqlDatabase
  beforeAll(async () => {
    t = await createTestApp()
    direct = await openDatabase(t.database.config)
  })
  afterAll(async () => {
    await direct.close()
    await t.close()
  })

  it('keeps no IP address or user agent and lists nothing', async () => {
    await sameBrowser(t, '203.0.113.7')
    const body = await links(t, { min_confidence: '0' })
    expect(body).toMatchObject({ enabled: false, total: 0, likely_matches: [] })
    expect(await direct.db.selectFrom('device_sightings').selectAll().execute()).toEqual([])
  })
})

describe('likely matches on', () => {
  let t: TestApp
  let direct: SqlDatabase
  beforeAll(async () => {
    t = await createTestApp({ CDP_LIKELY_MATCHES: 'on', CDP_LIKELY_MATCH_WINDOW_MINUTES: '30' })
    direct = await openDatabase(t.database.config)
  })
  afterAll(async () => {
    await direct.close()
    await t.close()
  })

  it('lists two anonymous profiles seen together on one IP and user agent, with evidence, and merges nothing', async () => {
    const [a, b] = await sameBrowser(t, '198.51.100.10')
    const [idA, idB] = [await profileId(t, a), await profileId(t, b)]
    expect(idA).not.toBe(idB)
    const body = await links(t, { cookie: a })
    expect(body.enabled).toBe(true)
    expect(body.total).toBe(1)
    const link = body.likely_matches[0] as LinkJson
    expect(link.profile_ids).toEqual([idA, idB].sort())
    expect(link.confidence).toBeGreaterThan(0.8)
    expect(link.confidence).toBeLessThan(1)
    expect(link.profiles.map((p) => p.cookies)).toEqual(link.profile_ids.map((id) => (id === idA ? [a] : [b])))
    expect(link.evidence).toMatchObject({ count: 3, ip: '198.51.100.10', user_agent: PHONE, first_at: minute(0) })
    expect(link.evidence.co_occurrences[0]).toMatchObject({ gap_seconds: 120 })
    // Never merged: both are still their own profiles.
    expect(await profileId(t, a)).toBe(idA)
    expect(await profileId(t, b)).toBe(idB)
    // The sightings are one row per cookie per slot.
    const rows = await direct.db.selectFrom('device_sightings').selectAll().where('cookie', 'in', [a, b]).execute()
    expect(rows).toHaveLength(6)
  })

  it('lists the same links from the command line, with the merge that would join each', async () => {
    const [a, b] = await sameBrowser(t, '198.51.100.11')
    const [idA, idB] = [await profileId(t, a), await profileId(t, b)].sort() as [string, string]
    const env = { ...process.env, ...t.database.env, CDP_LIKELY_MATCHES: 'on' }
    const cdp = async (...args: string[]) => (await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'user', 'likely-matches', ...args], { env })).stdout
    const json = JSON.parse(await cdp('--json', '--limit', '1000'))
    expect(json.likely_matches.map((m: { profile_ids: string[] }) => m.profile_ids)).toContainEqual([idA, idB])
    const text = await cdp('--limit', '1000')
    expect(text).toContain(`join: cdp user merge --from-profile-id ${idA} --into-profile-id ${idB}`)
    await expect(cdp('--min-confidence', '2')).rejects.toMatchObject({ stderr: expect.stringContaining('a number from 0 to 1') })
  }, 60_000)

  it('finds no link across user agents, beyond the window, or with an identified profile', async () => {
    const ip = '198.51.100.20'
    const [a, b, c, d, e] = ['ua-a', 'ua-b', 'late', 'known-anon', 'known'].map(cookie) as [string, string, string, string, string]
    await send(t, [
      page(a, 0, { ip, userAgent: PHONE }),
      page(b, 1, { ip, userAgent: DESKTOP }),
      page(c, 45, { ip, userAgent: PHONE }),
      page(d, 200, { ip, userAgent: DESKTOP }),
      { type: 'identify', anonymousId: e, traits: { email: `known.${counter}@example.org` }, timestamp: minute(201), messageId: `id-${e}`, context: { ip, userAgent: DESKTOP } },
    ])
    for (const x of [a, b, c, d, e]) expect((await links(t, { cookie: x, min_confidence: '0' })).total).toBe(0)
  })

  it('weighs a crowded address (an office NAT) far below a quiet one', async () => {
    const office = '192.0.2.50'
    const crowd = Array.from({ length: 12 }, () => cookie('office'))
    await send(t, crowd.map((c, i) => page(c, 600 + i, { ip: office, userAgent: DESKTOP })))
    const body = await links(t, { cookie: crowd[0] as string, min_confidence: '0' })
    expect(body.total).toBe(11)
    for (const link of body.likely_matches) expect(link.confidence).toBeLessThan(0.1)
    // The default threshold leaves them out.
    expect((await links(t, { cookie: crowd[0] as string })).total).toBe(0)
  })

  it('takes the request IP and browser User-Agent when the message names none (the snippet calls)', async () => {
    const [a, b] = [cookie('snippet'), cookie('snippet')]
    const headers = { 'user-agent': DESKTOP }
    await send(t, [page(a, 900, {}), page(b, 901, {})], headers)
    const rows = await direct.db.selectFrom('device_sightings').select(['cookie', 'ip', 'user_agent']).where('cookie', 'in', [a, b]).orderBy('cookie').execute()
    expect(rows.map((r) => r.user_agent)).toEqual([DESKTOP, DESKTOP])
    expect(new Set(rows.map((r) => r.ip)).size).toBe(1)
    expect((await links(t, { cookie: a, min_confidence: '0' })).total).toBe(1)
    // A server library's call (no browser user agent) is not the visitor's address.
    const server = cookie('server')
    await send(t, [page(server, 902, {})], { 'user-agent': 'analytics-node-next/latest' })
    expect(await direct.db.selectFrom('device_sightings').selectAll().where('cookie', '=', server).execute()).toEqual([])
  })

  it('pages by offset, filters by confidence, and needs the admin scope', async () => {
    const all = await links(t, { min_confidence: '0', limit: '1000' })
    expect(all.total).toBeGreaterThan(3)
    const confidences = all.likely_matches.map((l) => l.confidence)
    expect([...confidences].sort((x, y) => y - x)).toEqual(confidences)
    const second = await links(t, { min_confidence: '0', limit: '2', offset: '2' })
    expect(second.likely_matches.map((l) => l.profile_ids)).toEqual(all.likely_matches.slice(2, 4).map((l) => l.profile_ids))
    expect((await links(t, { min_confidence: '0.5', limit: '1000' })).likely_matches.every((l) => l.confidence >= 0.5)).toBe(true)
    // One person's links (read from the addresses they were seen on) are those of the full list.
    for (const link of all.likely_matches) {
      const own = await links(t, { profile_id: link.profile_ids[1], min_confidence: '0', limit: '1000' })
      expect(own.likely_matches).toContainEqual(link)
      expect(own.likely_matches.every((l) => l.profile_ids.includes(link.profile_ids[1]))).toBe(true)
    }
    const read = await t.app.inject({ method: 'GET', url: '/api/user/likely-matches', headers: t.auth('read') })
    expect(read.statusCode).toBe(403)
    const missing = await t.app.inject({ method: 'GET', url: '/api/user/likely-matches?cookie=nobody-at-all', headers: t.auth('admin') })
    expect(missing.statusCode).toBe(404)
  })

  it('no longer lists a pair once an admin merges it through the manual merge', async () => {
    const [a, b] = await sameBrowser(t, '198.51.100.30')
    expect((await links(t, { cookie: a })).total).toBe(1)
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/user/merge',
      headers: { ...t.auth('admin'), 'content-type': 'application/json' },
      payload: JSON.stringify({ from: { cookie: b }, into: { cookie: a } }),
    })
    expect(r.statusCode, r.body).toBe(200)
    expect((await links(t, { cookie: a, min_confidence: '0' })).total).toBe(0)
    expect(await profileId(t, b)).toBe(await profileId(t, a))
  })

  it('no longer lists a pair once one side logs in (identified, not anonymous)', async () => {
    const [a, b] = await sameBrowser(t, '198.51.100.40')
    expect((await links(t, { cookie: a })).total).toBe(1)
    await send(t, [{ type: 'identify', anonymousId: b, traits: { email: `b.${counter}@example.org` }, timestamp: minute(5000), messageId: `login-${b}` }])
    expect((await links(t, { cookie: a, min_confidence: '0' })).total).toBe(0)
  })

  it('exports a person\'s sightings and erases them with the person, and their links with them', async () => {
    const [a, b] = await sameBrowser(t, '198.51.100.50')
    const exported = await t.app.inject({ method: 'GET', url: `/api/user/export?cookie=${a}`, headers: t.auth('admin') })
    expect(exported.statusCode).toBe(200)
    const sightings = exported.json().device_sightings as Array<{ cookie: string; ip: string; user_agent: string }>
    expect(sightings).toHaveLength(3)
    expect(sightings[0]).toMatchObject({ cookie: a, ip: '198.51.100.50', user_agent: PHONE })
    const erased = await t.app.inject({ method: 'DELETE', url: `/api/user?cookie=${a}`, headers: t.auth('admin') })
    expect(erased.statusCode, erased.body).toBe(200)
    expect(erased.json()).toMatchObject({ status: 'finished', counts: { device_sightings: 3 } })
    expect(await direct.db.selectFrom('device_sightings').selectAll().where('cookie', '=', a).execute()).toEqual([])
    expect((await links(t, { cookie: b, min_confidence: '0' })).total).toBe(0)
  })

  it('documents the route in OpenAPI with its schema', async () => {
    const paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths
    const get = paths['/api/user/likely-matches'].get
    expect(get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cookie', 'email', 'limit', 'min_confidence', 'offset', 'profile_id', 'user_id'])
    expect(get.responses['200'].content['application/json'].schema.properties.likely_matches.items.properties.evidence).toBeDefined()
  })
})
