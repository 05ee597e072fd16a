// POST /api/raw/replay: rejected records run through the current rules again over HTTP, as `cdp replay`
// (without a fix) does: after the rule that rejected them changed, they are applied; the rest stay rejected.
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { contentHash } from '../../src/pipeline/prepare/raw-record.ts'
import { ADMIN_KEY, createTestApp, openTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

let database: TestDatabase
const apps: TestApp[] = []
afterAll(async () => {
  for (const t of apps) {
    await t.app.close()
    await t.runtime.close()
  }
  await database?.drop()
})

describe('POST /api/raw/replay', () => {
  it('applies the rejected records the current rules accept, by reason and in pages, and leaves the rest rejected', async () => {
    database = await createTestDatabase({ CDP_ADMIN_KEY: ADMIN_KEY, CDP_QUALITY_POLICY: 'crm:reject' })
    const before = await openTestApp(database)
    apps.push(before)
    // A CRM export with ages written as words: rejected while the CRM's policy is "reject".
    const sent = await before.ingest(
      [
        { cookie: 'c-1', email: 'ann@shop.example', interests: ['golf'], demographics: { age: 'forty' } },
        { cookie: 'c-2', email: 'ann@shop.example', location: { city: 'Austin' }, demographics: { age: 'forty' } },
        { cookie: 'c-3', email: 'ann@shop.example', demographics: { age: 'forty' } },
        { email: 'nobody@example.org' },
      ],
      { source: 'crm' },
    )
    expect(sent.body.records_failed).toBe(4)
    await before.app.close()
    await before.runtime.close()
    apps.pop()

    // The operator decides a bad age should cost only the age: the same store, the CRM's policy changed.
    const after = await openTestApp({ ...database, config: loadConfig({ ...database.env, CDP_QUALITY_POLICY: 'crm:drop_field' }) })
    apps.push(after)
    const replay = (body: unknown, scope: 'admin' | 'read' = 'admin') => after.app.inject({ method: 'POST', url: '/api/raw/replay', headers: after.auth(scope), payload: body as object })

    expect((await replay({}, 'read')).statusCode).toBe(403)
    expect((await replay({ limit: 0 })).statusCode).toBe(400)

    const first = await replay({ reason: 'bad_age', limit: 2 })
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ replayed: 2, accepted: 2, still_rejected: 0 })
    expect(first.json().next_after_id).toEqual(expect.any(Number))
    const rest = await replay({ reason: 'bad_age', after_id: first.json().next_after_id })
    expect(rest.json()).toEqual({ replayed: 1, accepted: 1, still_rejected: 0, next_after_id: null })

    const person = await after.user({ email: 'ann@shop.example' })
    expect(person.status).toBe(200)
    expect(person.body.user_profile.cookies.sort()).toEqual(['c-1', 'c-2', 'c-3'])
    expect(person.body.user_profile.interests).toEqual(['golf'])

    // A record without a cookie is rejected still, whatever is replayed.
    const all = await replay({})
    expect(all.json()).toEqual({ replayed: 1, accepted: 0, still_rejected: 1, next_after_id: null })
    const raw = await after.app.inject({ method: 'GET', url: '/api/raw?status=rejected', headers: after.auth('admin') })
    expect(raw.json().records.map((r: { errors: Array<{ reason: string }> }) => r.errors[0]?.reason)).toEqual(['missing_cookie'])
  })
})

describe('GET /api/raw and the access export with deeply nested payloads', () => {
  const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n)
  const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)

  it('serve payloads nested 10,000 and 100,000 levels deep exactly as received, and normal payloads as before', async () => {
    const t = await createTestApp()
    try {
      // As JSON.stringify writes them, so each is also the text the raw store keeps.
      const normal = { cookie: 'flat-1', email: 'deep.person@example.org', interests: ['golf'], location: { city: 'Austin' } }
      const deep = [
        `{"cookie":"deep-array-10k","email":"deep.person@example.org","x":${deepArray(10_000)}}`,
        `{"cookie":"deep-object-10k","y":${deepObject(10_000)}}`,
        `{"cookie":"deep-array-100k","x":${deepArray(100_000)}}`,
        `{"cookie":"deep-object-100k","email":"deep.person@example.org","y":${deepObject(100_000)}}`,
      ]
      const ingest = await t.app.inject({
        method: 'POST',
        url: '/api/ingest?source=deep',
        headers: { ...t.auth('ingest'), 'content-type': 'application/json' },
        payload: `[${JSON.stringify(normal)},${deep.join(',')}]`,
      })
      // Too deep to apply, but a record's outcome, not a request's: stored as rejected, with its reason.
      expect(ingest.statusCode, ingest.body.slice(0, 500)).toBe(200)
      expect(ingest.json()).toMatchObject({ status: 'partial', records_processed: 5, records_failed: 4 })
      expect(ingest.json().errors.map((e: { record: number; reason: string }) => [e.record, e.reason])).toEqual([
        [1, 'too_deep'],
        [2, 'too_deep'],
        [3, 'too_deep'],
        [4, 'too_deep'],
      ])

      const all = await t.app.inject({ method: 'GET', url: '/api/raw?source=deep', headers: t.auth('admin') })
      expect(all.statusCode, all.body.slice(0, 500)).toBe(200)
      expect(all.headers['content-type']).toBe('application/json; charset=utf-8')
      // Each payload text round-trips: the response holds it as sent, byte for byte.
      for (const text of deep) expect(all.body.includes(`"payload":${text}}`)).toBe(true)
      const records = all.json().records as Array<Record<string, unknown>>
      expect(records.map((r) => r.status)).toEqual(['accepted', 'rejected', 'rejected', 'rejected', 'rejected'])
      // A normal payload's record has the shape it always had: the same keys in the same order.
      expect(Object.keys(records[0] as object)).toEqual(['id', 'batch_id', 'received_at', 'source', 'content_type', 'record_index', 'status', 'superseded_by', 'errors', 'payload'])
      expect(records[0]).toEqual({
        id: expect.any(Number),
        batch_id: expect.any(String),
        received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        source: 'deep',
        content_type: 'json',
        record_index: 0,
        status: 'accepted',
        superseded_by: null,
        errors: [],
        payload: normal,
      })
      expect(all.json().next_after_id).toBeNull()

      const rejected = await t.app.inject({ method: 'GET', url: '/api/raw?status=rejected&source=deep&limit=2', headers: t.auth('admin') })
      expect(rejected.statusCode).toBe(200)
      expect(rejected.json().records.map((r: { record_index: number }) => r.record_index)).toEqual([1, 2])
      const next = await t.app.inject({ method: 'GET', url: `/api/raw?status=rejected&source=deep&after_id=${rejected.json().next_after_id}`, headers: t.auth('admin') })
      expect(next.statusCode).toBe(200)
      expect(next.body.includes(`"payload":${deep[3]}}`)).toBe(true)

      // Replaying them changes nothing: still too deep, still rejected, still served as received.
      const replay = await t.app.inject({ method: 'POST', url: '/api/raw/replay', headers: t.auth('admin'), payload: { source: 'deep' } })
      expect(replay.statusCode, replay.body).toBe(200)
      expect(replay.json()).toEqual({ replayed: 4, accepted: 0, still_rejected: 4, next_after_id: null })

      // The access export carries every raw record about the person, the deep ones too, as received.
      const exported = await t.app.inject({ method: 'GET', url: '/api/user/export?email=deep.person@example.org', headers: t.auth('admin') })
      expect(exported.statusCode).toBe(200)
      const document = JSON.parse(exported.body) as { raw_records: Array<{ status: string; payload: { cookie: string } }> }
      expect(document.raw_records.map((r) => r.payload.cookie)).toEqual(['flat-1', 'deep-array-10k', 'deep-object-100k'])
      expect(exported.body.includes(`"payload":${deep[0]}}`)).toBe(true)
      expect(exported.body.includes(`"payload":${deep[3]}}`)).toBe(true)
    } finally {
      await t.close()
    }
  }, 60_000)

  it('serves an accepted record nested 100,000 deep (stored before the depth bound) as received', async () => {
    const t = await createTestApp()
    try {
      const source = 'deep-legacy'
      const text = `{"cookie":"legacy-1","x":${deepArray(100_000)},"y":${deepObject(10_000)}}`
      await t.runtime.store.ingestTransaction((tx) =>
        tx.insertRawRecords([
          { batchId: 'bat_legacy', receivedAt: Date.now(), source, contentType: 'json', recordIndex: 0, payload: text, contentHash: contentHash(source, text), status: 'accepted', errors: null, cookie: 'legacy-1', email: null, observedAt: null },
        ]),
      )
      const r = await t.app.inject({ method: 'GET', url: `/api/raw?status=accepted&source=${source}`, headers: t.auth('admin') })
      expect(r.statusCode, r.body.slice(0, 500)).toBe(200)
      expect(r.body.endsWith(`"payload":${text}}],"next_after_id":null}`)).toBe(true)
      expect(r.json().records).toHaveLength(1)
    } finally {
      await t.close()
    }
  })

  it('serves a payload that was stored as a string (a line that was not JSON) as that string', async () => {
    const t = await createTestApp()
    try {
      const line = '{"cookie": not json'
      const r = await t.app.inject({ method: 'POST', url: '/api/ingest?source=lines', headers: { ...t.auth('ingest'), 'content-type': 'application/x-ndjson' }, payload: `{"cookie":"line-ok"}\n${line}\n` })
      expect(r.json()).toMatchObject({ records_failed: 1, errors: [{ record: 1, reason: 'unparseable' }] })
      const raw = await t.app.inject({ method: 'GET', url: '/api/raw?source=lines', headers: t.auth('admin') })
      expect(raw.json().records.map((x: { payload: unknown }) => x.payload)).toEqual([{ cookie: 'line-ok' }, line])
    } finally {
      await t.close()
    }
  })
})
