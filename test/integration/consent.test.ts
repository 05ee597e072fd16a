// Per-purpose consent over real HTTP: recorded from profile records (JSON and CSV) and from Segment
// messages (the real @segment/analytics-node client), latest wins by observation time, history kept,
// shown on GET /api/user, usable in segment conditions, and gating segments and webhooks.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Analytics } from '@segment/analytics-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { waitUntil } from '../helpers/activation.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let baseUrl: string
let database: SqlDatabase

beforeAll(async () => {
  // Webhook receivers listen on 127.0.0.1, reached only when allowed; background runs the dispatcher.
  t = await createTestApp({ CDP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }, { background: true, schedulerIntervalMs: 100 })
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' })
  // A second handle on the test database, to check the rows the API wrote.
  database = await openDatabase(t.database.config)
})

afterAll(async () => {
  await database.close()
  await t.close()
})

type ConsentJson = Record<string, { granted: boolean; at: string; source: string }>
type HistoryJson = Array<{ purpose: string; granted: boolean; at: string; source: string; raw_id: number | null }>

async function userConsent(query: Record<string, string>): Promise<{ consent: ConsentJson; history: HistoryJson; traits: Record<string, unknown>; profileId: string }> {
  const r = await t.app.inject({ method: 'GET', url: '/api/user', query: { ...query, consent_history: '1' }, headers: t.auth('read') })
  expect(r.statusCode, r.body).toBe(200)
  const user = r.json().user_profile
  return { consent: user.consent, history: user.consent_history, traits: user.traits, profileId: user.profile_id }
}

async function consentRows(profileId: string) {
  const rows = await database.db.selectFrom('consent_changes').selectAll().where('profile_id', '=', profileId).orderBy('at').orderBy('id').execute()
  return rows.map((r) => ({ purpose: r.purpose, granted: Number(r.granted), at: Number(r.at), source: r.source, hasRaw: r.raw_id !== null }))
}

async function createSegment(body: Record<string, unknown>): Promise<{ id: string; required_consent: string[]; version: number }> {
  const r = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: body })
  expect(r.statusCode, r.body).toBe(201)
  return r.json()
}

async function members(segmentId: string): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: `/api/segments/${segmentId}/users?limit=1000`, headers: t.auth('read') })
  expect(r.statusCode, r.body).toBe(200)
  return (r.json().users as Array<{ cookie: string }>).map((u) => u.cookie).sort()
}

async function preview(body: Record<string, unknown>): Promise<{ count: number; cookies: string[] }> {
  const r = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: t.auth('read'), payload: body })
  expect(r.statusCode, r.body).toBe(200)
  return { count: r.json().count, cookies: (r.json().sample as Array<{ cookie: string }>).map((u) => u.cookie).sort() }
}

interface Receiver {
  url: string
  changes: Array<{ change: string; profile_id: string; reason: string }>
  close(): Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  const changes: Receiver['changes'] = []
  const server = http.createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      changes.push(...(JSON.parse(body) as { changes: Receiver['changes'] }).changes)
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    changes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const at = (iso: string) => new Date(iso).toISOString()

describe('recording consent', () => {
  it('reads a profile record\'s consent object, warns about unknown purposes and unreadable values, and keeps it out of traits', async () => {
    const r = await t.ingest([{ cookie: 'rec-1', email: 'rec1@example.com', timestamp: '2026-03-01T10:00:00Z', consent: { marketing_email: true, Analytics: 'no', advertising: 'maybe', newsletter: true } }], { source: 'crm' })
    expect(r.body).toMatchObject({ records_processed: 1, records_failed: 0 })
    expect(r.body.warnings.map((w) => w.field).sort()).toEqual(['consent.advertising', 'consent.newsletter'])
    expect(r.body.warnings.find((w) => w.field === 'consent.newsletter')?.message).toContain('analytics, marketing_email, advertising, personalization')
    const { consent, traits, profileId, history } = await userConsent({ cookie: 'rec-1' })
    expect(consent).toEqual({
      analytics: { granted: false, at: at('2026-03-01T10:00:00Z'), source: 'crm' },
      marketing_email: { granted: true, at: at('2026-03-01T10:00:00Z'), source: 'crm' },
    })
    expect(traits).not.toHaveProperty('consent')
    expect(history.map((h) => [h.purpose, h.granted]).sort()).toEqual([['analytics', false], ['marketing_email', true]])
    expect(history.every((h) => typeof h.raw_id === 'number')).toBe(true)
    expect(await consentRows(profileId)).toEqual([
      { purpose: 'marketing_email', granted: 1, at: Date.parse('2026-03-01T10:00:00Z'), source: 'crm', hasRaw: true },
      { purpose: 'analytics', granted: 0, at: Date.parse('2026-03-01T10:00:00Z'), source: 'crm', hasRaw: true },
    ].sort((a, b) => (a.purpose < b.purpose ? 1 : -1)))
  })

  it('treats a consent that is not an object like any bad optional field (the quality policy)', async () => {
    const r = await t.ingest([{ cookie: 'rec-bad', consent: 'yes' }])
    expect(r.body).toMatchObject({ records_failed: 1 })
    expect(r.body.errors[0]).toMatchObject({ field: 'consent', reason: 'bad_field' })
  })

  it('reads nested consent.* columns of a CSV upload, yes/no and granted/denied in any case', async () => {
    const csv = 'cookie,consent.analytics,consent.marketing_email,consent.personalization\r\ncsv-c1,Yes,DENIED,1\r\ncsv-c2,granted,,0\r\n'
    const r = await t.app.inject({ method: 'POST', url: '/api/ingest', headers: { ...t.auth('ingest'), 'content-type': 'text/csv' }, payload: csv })
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json()).toMatchObject({ records_processed: 2, records_failed: 0 })
    const first = await userConsent({ cookie: 'csv-c1' })
    expect(Object.fromEntries(Object.entries(first.consent).map(([p, s]) => [p, s.granted]))).toEqual({ analytics: true, marketing_email: false, personalization: true })
    const second = await userConsent({ cookie: 'csv-c2' })
    expect(Object.fromEntries(Object.entries(second.consent).map(([p, s]) => [p, s.granted]))).toEqual({ analytics: true, personalization: false })
  })

  it('reads context.consent.categoryPreferences from Segment messages sent by @segment/analytics-node, any message type', async () => {
    const analytics = new Analytics({ writeKey: t.keys.ingest, host: baseUrl, flushAt: 10, flushInterval: 50, maxRetries: 1 })
    const errors: unknown[] = []
    analytics.on('error', (error) => errors.push(error))
    analytics.identify({
      anonymousId: 'seg-consent-1',
      userId: 'seg.consent@example.com',
      timestamp: new Date('2026-04-01T09:00:00Z'),
      traits: { plan: 'pro' },
      context: { consent: { categoryPreferences: { Advertising: true, 'Marketing Email': true, C0004: true } } },
    })
    analytics.track({
      anonymousId: 'seg-consent-1',
      event: 'Preferences Saved',
      timestamp: new Date('2026-04-02T09:00:00Z'),
      context: { consent: { categoryPreferences: { 'Marketing Email': false, Analytics: true } } },
    })
    await analytics.closeAndFlush({ timeout: 10_000 })
    expect(errors).toEqual([])
    const { consent, history } = await userConsent({ email: 'seg.consent@example.com' })
    // The message's time, corrected for the client's clock skew (sentAt vs. arrival) by a few ms.
    const day = (iso: string) => iso.slice(0, 10)
    expect(Object.fromEntries(Object.entries(consent).map(([p, s]) => [p, { granted: s.granted, day: day(s.at), source: s.source }]))).toEqual({
      advertising: { granted: true, day: '2026-04-01', source: 'segment' },
      analytics: { granted: true, day: '2026-04-02', source: 'segment' },
      marketing_email: { granted: false, day: '2026-04-02', source: 'segment' },
    })
    // The CMP's own category (C0004) is no purpose: not recorded, but kept in the raw record.
    expect(history).toHaveLength(4)
    expect(history.map((h) => h.purpose)).not.toContain('c0004')
    const raw = await database.db.selectFrom('raw_records').select('payload').where('payload', 'like', '%C0004%').execute()
    expect(raw).toHaveLength(1)
  })

  it('keeps the latest statement by observation time: an older grant arriving after a withdrawal does not override it', async () => {
    await t.ingest([{ cookie: 'late-1', timestamp: '2026-05-10T00:00:00Z', consent: { marketing_email: false } }], { source: 'web' })
    await t.ingest([{ cookie: 'late-1', timestamp: '2026-05-01T00:00:00Z', consent: { marketing_email: true } }], { source: 'crm' })
    const { consent, history, profileId } = await userConsent({ cookie: 'late-1' })
    expect(consent.marketing_email).toEqual({ granted: false, at: at('2026-05-10T00:00:00Z'), source: 'web' })
    // Both statements are history, newest first.
    expect(history.map((h) => [h.granted, h.at, h.source])).toEqual([
      [false, at('2026-05-10T00:00:00Z'), 'web'],
      [true, at('2026-05-01T00:00:00Z'), 'crm'],
    ])
    expect(await consentRows(profileId)).toHaveLength(2)
  })

  it('joins consent when profiles merge, and the absorbed profile\'s history follows it', async () => {
    // An anonymous visitor grants analytics; later, a login with an email known from another cookie merges them.
    await t.ingest([{ cookie: 'merge-a', email: 'merge@example.com', timestamp: '2026-06-01T00:00:00Z', consent: { marketing_email: true } }])
    await t.ingest([{ cookie: 'merge-b', timestamp: '2026-06-02T00:00:00Z', consent: { analytics: true, marketing_email: false } }])
    await t.ingest([{ cookie: 'merge-b', email: 'merge@example.com', timestamp: '2026-06-03T00:00:00Z' }])
    const { consent, profileId } = await userConsent({ email: 'merge@example.com' })
    expect(Object.fromEntries(Object.entries(consent).map(([p, s]) => [p, s.granted]))).toEqual({ analytics: true, marketing_email: false })
    expect((await consentRows(profileId)).map((r) => r.purpose).sort()).toEqual(['analytics', 'marketing_email', 'marketing_email'])
  })
})

describe('segments', () => {
  it('evaluates a consent condition the same in memory (on ingest) and in SQL (preview)', async () => {
    const granted = await createSegment({ name: 'Email OK', conditions: { all: [{ field: 'trait.group', op: 'eq', value: 'cond' }, { consent: 'Marketing Email' }] } })
    const notGranted = await createSegment({ name: 'Email not OK', conditions: { all: [{ field: 'trait.group', op: 'eq', value: 'cond' }, { consent: 'marketing_email', granted: false }] } })
    await t.runtime.segments.idle()
    await t.ingest([
      { cookie: 'cond-yes', group: 'cond', consent: { marketing_email: true } },
      { cookie: 'cond-no', group: 'cond', consent: { marketing_email: false } },
      { cookie: 'cond-never', group: 'cond' },
    ])
    expect(await members(granted.id)).toEqual(['cond-yes'])
    expect(await members(notGranted.id)).toEqual(['cond-never', 'cond-no'])
    expect(await preview({ conditions: { all: [{ field: 'trait.group', op: 'eq', value: 'cond' }, { consent: 'Marketing Email' }] } })).toEqual({ count: 1, cookies: ['cond-yes'] })
    expect(await preview({ conditions: { all: [{ field: 'trait.group', op: 'eq', value: 'cond' }, { consent: 'marketing_email', granted: false }] } })).toEqual({
      count: 2,
      cookies: ['cond-never', 'cond-no'],
    })
    // required_consent on a preview is the same implicit AND.
    expect(await preview({ conditions: { field: 'trait.group', op: 'eq', value: 'cond' }, required_consent: ['marketing_email'] })).toEqual({ count: 1, cookies: ['cond-yes'] })
  })

  it('refuses an unknown purpose with a 400 that names the configured ones', async () => {
    for (const body of [
      { name: 'Bad', conditions: { consent: 'newsletter' } },
      { name: 'Bad', conditions: { field: 'age', op: 'gte', value: 1 }, required_consent: ['newsletter'] },
    ]) {
      const r = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: body })
      expect(r.statusCode).toBe(400)
      expect(r.json().error.message).toContain('"newsletter"')
      expect(r.json().error.message).toContain('analytics, marketing_email, advertising, personalization')
    }
  })

  it('a consent-requiring segment keeps out those without consent, and a withdrawal removes the member from export, webhook and stream', async () => {
    const receiver = await startReceiver()
    try {
      const segment = await createSegment({ name: 'Newsletter', conditions: { field: 'trait.group', op: 'eq', value: 'news' }, required_consent: ['Marketing Email'] })
      expect(segment.required_consent).toEqual(['marketing_email'])
      await t.runtime.segments.idle()
      const fetched = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}`, headers: t.auth('read') })
      expect(fetched.json()).toMatchObject({ required_consent: ['marketing_email'], conditions: { field: 'trait.group' } })
      const hook = await t.app.inject({ method: 'POST', url: `/api/segments/${segment.id}/webhooks`, headers: t.auth('admin'), payload: { url: receiver.url } })
      expect(hook.statusCode, hook.body).toBe(201)

      await t.ingest([
        { cookie: 'news-1', group: 'news', timestamp: '2026-07-01T00:00:00Z', consent: { marketing_email: true } },
        { cookie: 'news-2', group: 'news', timestamp: '2026-07-01T00:00:00Z' },
      ])
      expect(await members(segment.id)).toEqual(['news-1'])
      const news1 = (await userConsent({ cookie: 'news-1' })).profileId
      const news2 = (await userConsent({ cookie: 'news-2' })).profileId
      await waitUntil(() => receiver.changes.length >= 1, 'the entry is delivered', 10_000)

      // news-1 withdraws; news-2 changes but still has not consented; news-3 consents (a marker that deliveries caught up).
      await t.ingest([{ cookie: 'news-1', timestamp: '2026-07-02T00:00:00Z', consent: { marketing_email: 'no' } }])
      await t.ingest([{ cookie: 'news-2', group: 'news', plan: 'pro', timestamp: '2026-07-02T00:00:00Z' }])
      await t.ingest([{ cookie: 'news-3', group: 'news', timestamp: '2026-07-03T00:00:00Z', consent: { marketing_email: true } }])
      const news3 = (await userConsent({ cookie: 'news-3' })).profileId
      await waitUntil(() => receiver.changes.some((c) => c.profile_id === news3), 'the marker is delivered', 10_000)

      expect(receiver.changes.map((c) => [c.profile_id, c.change])).toEqual([
        [news1, 'entered'],
        [news1, 'left'],
        [news3, 'entered'],
      ])
      expect(receiver.changes[1]?.reason).toMatch(/^consent withdrawn: marketing_email/)
      expect(receiver.changes.some((c) => c.profile_id === news2)).toBe(false)

      const exported = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/export`, headers: t.auth('read') })
      expect(exported.body.trim().split('\n').map((line) => (JSON.parse(line) as { cookie: string }).cookie)).toEqual(['news-3'])
      const stream = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/changes`, headers: t.auth('read') })
      const streamed = (stream.json().changes as Array<{ change: string; profile_id: string; reason: string }>).map((c) => [c.profile_id, c.change])
      expect(streamed).toEqual([
        [news1, 'entered'],
        [news1, 'left'],
        [news3, 'entered'],
      ])
    } finally {
      await receiver.close()
    }
  })

  it('keeps required_consent with each version, and a backfill applies it', async () => {
    await t.ingest([
      { cookie: 'ver-1', group: 'ver', consent: { analytics: true } },
      { cookie: 'ver-2', group: 'ver' },
    ])
    const segment = await createSegment({ name: 'Versions', conditions: { field: 'trait.group', op: 'eq', value: 'ver' } })
    await t.runtime.segments.idle()
    expect(await members(segment.id)).toEqual(['ver-1', 'ver-2'])
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/segments/${segment.id}`,
      headers: t.auth('admin'),
      payload: { name: 'Versions', conditions: { field: 'trait.group', op: 'eq', value: 'ver' }, required_consent: ['analytics'] },
    })
    expect(put.statusCode, put.body).toBe(200)
    await t.runtime.segments.idle()
    expect(await members(segment.id)).toEqual(['ver-1'])
    const versions = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/versions`, headers: t.auth('read') })
    expect((versions.json() as Array<{ version: number; required_consent: string[] }>).map((v) => [v.version, v.required_consent])).toEqual([
      [1, []],
      [2, ['analytics']],
    ])
  })
})

describe('webhooks', () => {
  it('a webhook with required_consent does not deliver the entry of a member without it', async () => {
    const receiver = await startReceiver()
    try {
      const segment = await createSegment({ name: 'Shoppers', conditions: { field: 'trait.group', op: 'eq', value: 'shop' } })
      await t.runtime.segments.idle()
      const bad = await t.app.inject({ method: 'POST', url: `/api/segments/${segment.id}/webhooks`, headers: t.auth('admin'), payload: { url: receiver.url, required_consent: ['newsletter'] } })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().error.message).toContain('analytics, marketing_email, advertising, personalization')
      const hook = await t.app.inject({ method: 'POST', url: `/api/segments/${segment.id}/webhooks`, headers: t.auth('admin'), payload: { url: receiver.url, required_consent: ['Advertising'] } })
      expect(hook.statusCode, hook.body).toBe(201)
      expect(hook.json().required_consent).toEqual(['advertising'])

      await t.ingest([{ cookie: 'shop-1', group: 'shop', consent: { advertising: false } }])
      await t.ingest([{ cookie: 'shop-2', group: 'shop', consent: { advertising: true } }])
      const shop1 = (await userConsent({ cookie: 'shop-1' })).profileId
      const shop2 = (await userConsent({ cookie: 'shop-2' })).profileId
      // Both are members of the segment itself; the webhook sends only the consenting one's entry.
      expect(await members(segment.id)).toEqual(['shop-1', 'shop-2'])
      await waitUntil(() => receiver.changes.some((c) => c.profile_id === shop2), 'the consenting entry is delivered', 10_000)
      // Deliveries follow the change log in order: shop-1's earlier entry was skipped, not delayed.
      expect(receiver.changes.map((c) => [c.profile_id, c.change])).toEqual([[shop2, 'entered']])
      expect(receiver.changes.some((c) => c.profile_id === shop1)).toBe(false)

      // A 'left' change is always delivered, consent or not.
      await t.ingest([{ cookie: 'shop-1', group: 'gone' }])
      await waitUntil(() => receiver.changes.some((c) => c.profile_id === shop1), 'the exit is delivered', 10_000)
      expect(receiver.changes.map((c) => [c.profile_id, c.change])).toEqual([
        [shop2, 'entered'],
        [shop1, 'left'],
      ])
      const listed = await t.app.inject({ method: 'GET', url: `/api/segments/${segment.id}/webhooks`, headers: t.auth('admin') })
      expect(listed.json()[0]).toMatchObject({ required_consent: ['advertising'] })
    } finally {
      await receiver.close()
    }
  })
})
