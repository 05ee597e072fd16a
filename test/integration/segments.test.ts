// Business segments end to end: definitions and their validation, real-time membership on ingest and
// merge, backfill of new and edited definitions, previews, explanations, exports, time windows, and
// a property test that maintained membership always equals evaluation from scratch.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/activation/webhooks/signature.ts'
import { parseSegmentDefinition } from '../../src/segments/language/parse.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
const SEED = Number(process.env.CDP_PROPERTY_SEED ?? 20261122)

async function createSegment(body: unknown): Promise<{ id: string; version: number; state: string }> {
  const r = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: body as object })
  expect(r.statusCode, r.body).toBe(201)
  return r.json()
}

async function members(id: string): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: `/api/segments/${id}/users?limit=1000`, headers: t.auth('read') })
  expect(r.statusCode, r.body).toBe(200)
  return r.json().users.map((u: { cookie: string }) => u.cookie).sort()
}

async function segmentsOf(cookie: string): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: `/api/user?cookie=${cookie}`, headers: t.auth('read') })
  return r.json().user_profile.segments.map((s: { name: string }) => s.name).sort()
}

beforeAll(async () => {
  // The activation test's webhook receiver listens on 127.0.0.1, reached only when allowed.
  t = await createTestApp({ CDP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }, { background: true, schedulerIntervalMs: 100 })
})

afterAll(async () => {
  await t.close()
})

describe('definitions', () => {
  it('names the place of every validation error', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/segments',
      headers: t.auth('admin'),
      payload: { name: 'bad', conditions: { all: [{ field: 'age', op: 'gte', value: 25 }, { field: 'city', op: 'eq', value: 'Paris' }, { field: 'age', op: 'gte ', value: 30 }] } },
    })
    expect(r.statusCode).toBe(400)
    expect(r.json().error.message).toContain('conditions.all[2].op: unknown operator "gte "')
  })

  it('refuses unknown cohorts and segments, and duplicate names', async () => {
    const cohort = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: { name: 'x', conditions: { cohort: 'Knitting' } } })
    expect(cohort.json().error.message).toContain('no cohort "knitting"')
    const segment = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: { name: 'x', conditions: { segment: 'seg_nope' } } })
    expect(segment.json().error.message).toContain('no segment "seg_nope"')
    await createSegment({ name: 'Unique name', conditions: { field: 'age', op: 'gt', value: 200 } })
    const again = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: { name: 'unique NAME', conditions: { field: 'age', op: 'gt', value: 1 } } })
    expect(again.statusCode).toBe(409)
  })

  it('needs the admin scope to write and the read scope to read', async () => {
    const write = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('read'), payload: { name: 'y', conditions: { field: 'age', op: 'gt', value: 1 } } })
    expect(write.statusCode).toBe(403)
    const read = await t.app.inject({ method: 'GET', url: '/api/segments', headers: t.auth('ingest') })
    expect(read.statusCode).toBe(403)
  })
})

describe('membership', () => {
  it('backfills a new segment over existing profiles, then keeps it current on every ingest', async () => {
    await t.ingest([
      { cookie: 'ca-w-30', location: { state: 'CA', country: 'US' }, demographics: { gender: 'female', age: 30 }, interests: ['Nike shoes'] },
      { cookie: 'ca-m-30', location: { state: 'CA', country: 'US' }, demographics: { gender: 'male', age: 30 }, interests: ['Gucci'] },
      { cookie: 'ny-w-28', location: { state: 'NY', country: 'US' }, demographics: { gender: 'female', age: 28 }, interests: ['handbags'] },
    ])
    const segment = await createSegment({
      name: 'Women 25-34 in California into Fashion',
      conditions: { all: [{ field: 'gender', op: 'eq', value: 'female' }, { field: 'age', op: 'between', value: [25, 34] }, { field: 'state', op: 'eq', value: 'California' }, { cohort: 'Fashion' }] },
    })
    await t.runtime.segments.idle()
    const shown = (await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}`, headers: t.auth('read') })).json()
    expect(shown).toMatchObject({ state: 'ready', members: 1, backfill: { percent: 100 } })
    expect(await members(segment.id)).toEqual(['ca-w-30'])

    // Real time: the request that changes the profile returns with the membership already changed.
    await t.ingest({ cookie: 'ny-w-28', location: { state: 'CA', country: 'US' } })
    expect(await segmentsOf('ny-w-28')).toContain('Women 25-34 in California into Fashion')
    await t.ingest({ cookie: 'ca-w-30', demographics: { age: 40 } })
    expect(await members(segment.id)).toEqual(['ny-w-28'])

    const changes = await t.runtime.store.listChanges({ segmentId: segment.id, afterId: undefined, limit: 100 })
    expect(changes.map((c) => c.change)).toEqual(['entered', 'entered', 'left'])
    expect(changes[1]?.reason).toMatch(/^ingest bat_/)
  })

  it('keeps every version of an edited definition and re-evaluates everyone', async () => {
    const segment = await createSegment({ name: 'Over 29', conditions: { field: 'age', op: 'gte', value: 30 } })
    await t.runtime.segments.idle()
    const before = await members(segment.id)
    expect(before).toEqual(expect.arrayContaining(['ca-m-30', 'ca-w-30']))
    const r = await t.app.inject({ method: 'PUT', url: `/api/segments/${segment.id}`, headers: t.auth('admin'), payload: { name: 'Over 35', conditions: { field: 'age', op: 'gt', value: 35 } } })
    expect(r.json()).toMatchObject({ version: 2, name: 'Over 35' })
    await t.runtime.segments.idle()
    expect(await members(segment.id)).toEqual(['ca-w-30'])
    const versions = (await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/versions`, headers: t.auth('read') })).json()
    expect(versions.map((v: { version: number; name: string }) => [v.version, v.name])).toEqual([[1, 'Over 29'], [2, 'Over 35']])
  })

  it('moves memberships to the survivor when profiles merge', async () => {
    const segment = await createSegment({ name: 'Sports fans', conditions: { cohort: 'Sports', min_score: 0.5 } })
    await t.runtime.segments.idle()
    await t.ingest([{ cookie: 'merge-a', interests: ['Tom Brady'] }, { cookie: 'merge-b', interests: ['Lionel Messi'] }])
    expect(await members(segment.id)).toEqual(expect.arrayContaining(['merge-a', 'merge-b']))
    await t.ingest([{ cookie: 'merge-a', email: 'fan@example.com' }, { cookie: 'merge-b', email: 'fan@example.com' }])
    const after = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/users`, headers: t.auth('read') })
    const fans = after.json().users.filter((u: { email: string | null }) => u.email === 'fan@example.com')
    expect(fans).toHaveLength(1)
    const changes = await t.runtime.store.listChanges({ segmentId: segment.id, afterId: undefined, limit: 100 })
    expect(changes.some((c) => c.change === 'left' && c.reason.startsWith('merged into prof_'))).toBe(true)
  })

  it('builds segments on segments, and evaluates them in dependency order', async () => {
    const base = await createSegment({ name: 'Has email', conditions: { field: 'email', op: 'exists', value: true } })
    const derived = await createSegment({ name: 'Has email and likes sport', conditions: { all: [{ segment: base.id }, { cohort: 'Sports' }] } })
    await t.runtime.segments.idle()
    await t.ingest({ cookie: 'dep-1', interests: ['cricket'] })
    expect(await segmentsOf('dep-1')).not.toContain('Has email and likes sport')
    await t.ingest({ cookie: 'dep-1', email: 'dep@example.com' })
    expect(await segmentsOf('dep-1')).toEqual(expect.arrayContaining(['Has email', 'Has email and likes sport']))
    const cycle = await t.app.inject({ method: 'PUT', url: `/api/segments/${base.id}`, headers: t.auth('admin'), payload: { name: 'Has email', conditions: { segment: derived.id } } })
    expect(cycle.statusCode).toBe(400)
    expect(cycle.json().error.message).toContain('loop')
    const remove = await t.app.inject({ method: 'DELETE', url: `/api/segments/${base.id}`, headers: t.auth('admin') })
    expect(remove.statusCode).toBe(409)
  })

  it('lets members leave when a time window passes, through the scheduler', async () => {
    const segment = await createSegment({ name: 'Seen in the last minute', conditions: { field: 'last_seen', op: 'within_last', value: { minutes: 1 } } })
    await t.runtime.segments.idle()
    await t.ingest({ cookie: 'recent-1', timestamp: new Date(Date.now() - 58_500).toISOString() })
    expect(await members(segment.id)).toContain('recent-1')
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(await members(segment.id)).not.toContain('recent-1')
    const changes = await t.runtime.store.listChanges({ segmentId: segment.id, afterId: undefined, limit: 100 })
    expect(changes.find((c) => c.change === 'left')?.reason).toBe('time window passed')
  })
})

describe('reading', () => {
  it('previews a definition: count and sample, nothing saved', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/segments', headers: t.auth('read') })).json().length
    const r = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: t.auth('read'), payload: { conditions: { field: 'state', op: 'eq', value: 'california' } } })
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json().count).toBe(3)
    expect(r.json().sample.map((s: { cookie: string }) => s.cookie).sort()).toEqual(['ca-m-30', 'ca-w-30', 'ny-w-28'])
    const nobody = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: t.auth('read'), payload: { conditions: { field: 'state', op: 'eq', value: 'nowhere' } } })
    expect(nobody.json()).toMatchObject({ count: 0, sample: [] })
    expect((await t.app.inject({ method: 'GET', url: '/api/segments', headers: t.auth('read') })).json()).toHaveLength(before)
  })

  it('explains, per segment, which conditions held', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/user?cookie=ca-m-30&explain=1', headers: t.auth('read') })
    const details = r.json().user_profile.segment_details as Array<{ name: string; member: boolean; conditions: { held: boolean; children: Array<{ description: string; held: boolean }> } }>
    const women = details.find((d) => d.name === 'Women 25-34 in California into Fashion')
    expect(women?.member).toBe(false)
    expect(women?.conditions.children.map((c) => c.held)).toEqual([false, true, true, true])
    expect(women?.conditions.children[0]?.description).toContain('gender')
  })

  it('exports all members as CSV and NDJSON', async () => {
    const list = (await t.app.inject({ method: 'GET', url: '/api/segments', headers: t.auth('read') })).json()
    const segment = list.find((s: { name: string }) => s.name === 'Over 35')
    const csv = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/export?format=csv`, headers: t.auth('read') })
    expect(csv.headers['content-type']).toContain('text/csv')
    const rows = csv.body.trim().split('\n')
    expect(rows[0]).toBe('profile_id,email,cookie,entered_at')
    expect(rows).toHaveLength(1 + segment.members)
    const ndjson = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/export`, headers: t.auth('read') })
    const lines = ndjson.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l: { cookie: string }) => l.cookie)).toEqual(['ca-w-30'])
  })
})

describe('activation', () => {
  it('delivers an entry caused by an ingest to a webhook, signed, and shows it on the change stream', async () => {
    const received: Array<{ body: string; headers: http.IncomingHttpHeaders }> = []
    const receiver = http.createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        received.push({ body, headers: request.headers })
        response.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    try {
      const segment = await createSegment({ name: 'Golfers', conditions: { interest: 'eq', value: 'golf' } })
      await t.runtime.segments.idle()
      const hook = await t.app.inject({
        method: 'POST',
        url: `/api/segments/${segment.id}/webhooks`,
        headers: t.auth('admin'),
        payload: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` },
      })
      expect(hook.statusCode, hook.body).toBe(201)
      await t.ingest({ cookie: 'golfer-1', interests: ['golf'] })
      const deadline = Date.now() + 10_000
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(received).toHaveLength(1)
      const [delivery] = received
      const headers = delivery?.headers ?? {}
      expect(verifySignature(hook.json().secret, String(headers['x-cdp-timestamp']), delivery?.body ?? '', String(headers['x-cdp-signature']))).toBe(true)
      const payload = JSON.parse(delivery?.body ?? '{}')
      expect(payload.changes).toEqual([expect.objectContaining({ change: 'entered', reason: expect.stringMatching(/^ingest bat_/) })])

      const stream = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/changes`, headers: t.auth('read') })
      expect(stream.json().changes.map((c: { change: string; profile_id: string }) => c.change)).toEqual(['entered'])
    } finally {
      await new Promise((resolve) => receiver.close(resolve))
    }
  })
})

describe('incremental equals from scratch', () => {
  it('after any sequence of ingests and merges, maintained membership equals evaluation from scratch', async () => {
    const definitions = [
      { all: [{ field: 'age', op: 'gte', value: 30 }, { not: { field: 'city', op: 'eq', value: 'Paris' } }] },
      { any: [{ cohort: 'Sports' }, { interest: 'contains', value: 'shoe' }] },
      { all: [{ field: 'email', op: 'exists', value: true }, { field: 'income', op: 'gte', value: 50000 }] },
      { not: { any: [{ field: 'country_code', op: 'in', value: ['US', 'GB'] }, { field: 'trait.plan', op: 'eq', value: 'pro' }] } },
    ]
    const ids: string[] = []
    for (const [i, conditions] of definitions.entries()) ids.push((await createSegment({ name: `property ${i}`, conditions })).id)
    await t.runtime.segments.idle()

    const record = fc.record(
      {
        cookie: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6'),
        email: fc.option(fc.constantFrom('a@example.com', 'b@example.com', 'c@example.com'), { nil: undefined }),
        location: fc.option(fc.record({ city: fc.constantFrom('Paris', 'Lyon', 'Boston'), country: fc.constantFrom('US', 'FR', 'GB') }), { nil: undefined }),
        demographics: fc.option(fc.record({ age: fc.integer({ min: 18, max: 70 }), income: fc.constantFrom('$40k', '60000', '$120,000') }), { nil: undefined }),
        interests: fc.option(fc.subarray(['tom brady', 'running shoes', 'baking', 'cricket']), { nil: undefined }),
        plan: fc.option(fc.constantFrom('pro', 'free'), { nil: undefined }),
      },
      { requiredKeys: ['cookie'] },
    )
    const prefix = { n: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(record, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), async (batches) => {
        const run = prefix.n++
        for (const batch of batches) {
          // Each run gets its own people; emails repeat within a run, so merges happen.
          const records = batch.map((r) => ({ ...r, cookie: `r${run}-${r.cookie}`, email: r.email ? `r${run}-${r.email}` : undefined }))
          const response = await t.ingest(records)
          expect(response.status).toBe(200)
        }
        for (const [i, id] of ids.entries()) {
          const parsed = parseSegmentDefinition(definitions[i])
          if (parsed.kind === 'rejected') throw new Error('bad definition')
          const scratch = await t.runtime.store.previewSegment({ condition: parsed.value, sample: 100_000, now: Date.now() })
          const maintained = await t.runtime.store.listSegmentMembers({ segmentId: id, limit: 100_000, offset: 0, afterProfileId: undefined })
          expect(maintained.map((m) => m.profileId).sort()).toEqual(scratch.sample.map((m) => m.profileId).sort())
          const row = await t.runtime.store.getSegment(id)
          expect(row?.members).toBe(maintained.length)
          // The change log holds each entry and exit once: per profile they alternate, starting with
          // an entry, and end on an entry exactly for the members. (Evaluation skips reading the
          // memberships of profiles the batch created; a returning profile must never be skipped.)
          const last = new Map<string, string>()
          for (const change of await t.runtime.store.listChanges({ segmentId: id, afterId: undefined, limit: 100_000 })) {
            expect(change.change, `${change.profileId} ${change.change} twice in a row`).not.toBe(last.get(change.profileId) ?? 'left')
            last.set(change.profileId, change.change)
          }
          expect([...last].filter(([, change]) => change === 'entered').map(([profileId]) => profileId).sort()).toEqual(maintained.map((m) => m.profileId).sort())
        }
      }),
      { numRuns: 25, seed: SEED },
    )
  }, 120_000)
})
