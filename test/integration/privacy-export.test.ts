// The access export (GET /api/user/export): one JSON document per person holding every record
// ingested for them (issue #12, docs/privacy.md).
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

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

type Kind = 'profile' | 'anonymous' | 'rejected' | 'track' | 'user_track'
const at = (minute: number) => new Date(Date.UTC(2024, 2, 1, 9, minute)).toISOString()

async function post(url: string, body: unknown): Promise<void> {
  const r = await t.app.inject({ method: 'POST', url, headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  expect(r.statusCode, r.body).toBeLessThan(300)
}

async function exportOf(query: string): Promise<{ status: number; body: ExportDocument }> {
  const r = await t.app.inject({ method: 'GET', url: `/api/user/export?${query}`, headers: t.auth('admin') })
  return { status: r.statusCode, body: r.statusCode === 200 ? (JSON.parse(r.body) as ExportDocument) : (r.json() as ExportDocument) }
}

interface ExportDocument {
  profile_id: string
  profile: { email: string | null; traits: Record<string, unknown>; consent: unknown }
  identifiers: Array<{ kind: string; value: string }>
  interests: Array<{ interest: string }>
  cohorts: unknown[]
  segments: unknown[]
  consent_history: unknown[]
  merge_history: unknown[]
  events: Array<{ id: number; name: string; raw_id: number }>
  raw_records: Array<{ id: number; status: string; payload: unknown }>
}

let run = 0

describe('access export', () => {
  it('holds every record ingested for a person, each record in exactly one export', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 4 }),
        fc.array(fc.record({ person: fc.nat({ max: 3 }), kind: fc.constantFrom<Kind>('profile', 'anonymous', 'rejected', 'track', 'user_track'), minute: fc.integer({ min: 1, max: 50 }) }), { maxLength: 14 }),
        async (peopleCount, specs) => {
          const prefix = `x${++run}${Date.now().toString(36)}`
          const people = Array.from({ length: peopleCount }, (_, i) => ({ cookie: `${prefix}-c${i}`, email: `${prefix}.p${i}@example.org`, userId: `${prefix}-u${i}` }))
          const before = await direct.db.selectFrom('raw_records').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
          const firstId = Number(before?.id ?? 0)
          const tracks = new Map<number, number>()
          // Each person logs in first (minute 0), so every later record has a person to belong to.
          for (const [i, p] of people.entries()) {
            await t.ingest([{ cookie: p.cookie, email: p.email, timestamp: at(0) }])
            await post('/v1/identify', { userId: p.userId, anonymousId: p.cookie, traits: { email: p.email }, timestamp: at(0), messageId: `${prefix}-id-${i}` })
          }
          for (const [n, spec] of specs.entries()) {
            const p = people[spec.person % peopleCount] as (typeof people)[number]
            const owner = spec.person % peopleCount
            if (spec.kind === 'profile') await t.ingest([{ cookie: p.cookie, email: p.email, interests: ['golf'], timestamp: at(spec.minute) }])
            if (spec.kind === 'anonymous') await t.ingest([{ cookie: p.cookie, demographics: { age: 20 + spec.minute }, timestamp: at(spec.minute) }])
            if (spec.kind === 'rejected') await t.ingest([{ cookie: p.cookie, email: `not-an-email-${n}`, timestamp: at(spec.minute) }])
            if (spec.kind === 'track' || spec.kind === 'user_track') {
              const ids = spec.kind === 'track' ? { anonymousId: p.cookie } : { userId: p.userId }
              await post('/v1/track', { ...ids, event: `Viewed ${n}`, properties: { category: 'golf' }, timestamp: at(spec.minute), messageId: `${prefix}-m-${n}` })
              tracks.set(owner, (tracks.get(owner) ?? 0) + 1)
            }
          }
          const stored = await direct.db.selectFrom('raw_records').select('id').where('id', '>', firstId).execute()
          expect(stored.length).toBeGreaterThanOrEqual(peopleCount * 2 + specs.length)
          const seen = new Map<number, number>()
          for (const [i, p] of people.entries()) {
            const { status, body } = await exportOf(`email=${encodeURIComponent(p.email)}`)
            expect(status).toBe(200)
            expect(body.profile.email).toBe(p.email)
            expect(body.identifiers).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'email', value: p.email }), expect.objectContaining({ kind: 'cookie', value: p.cookie })]))
            expect(body.events).toHaveLength(tracks.get(i) ?? 0)
            const rawIds = new Set(body.raw_records.map((r) => r.id))
            for (const e of body.events) expect(rawIds.has(e.raw_id)).toBe(true)
            for (const r of body.raw_records) seen.set(r.id, (seen.get(r.id) ?? 0) + 1)
          }
          for (const { id } of stored) expect(seen.get(Number(id)), `raw record ${id}`).toBe(1)
          expect([...seen.keys()].every((id) => id > firstId)).toBe(true)
        },
      ),
      { numRuns: 8, seed: Number(process.env.CDP_PROPERTY_SEED ?? 20261201) },
    )
  })

  it('streams a person by any identifier, with parsed payloads; 404 for nobody, 400 without exactly one identifier', async () => {
    const cookie = `exp-${Date.now().toString(36)}`
    const email = `${cookie}@example.org`
    await t.ingest([{ cookie, email, interests: ['golf'], traits_note: 'x', timestamp: at(1) }])
    const r = await t.app.inject({ method: 'GET', url: `/api/user/export?cookie=${cookie}`, headers: t.auth('admin') })
    expect(r.statusCode).toBe(200)
    expect(r.headers['content-type']).toContain('application/json')
    const body = JSON.parse(r.body) as ExportDocument
    expect(body.raw_records).toHaveLength(1)
    expect(body.raw_records[0]?.payload).toMatchObject({ cookie, email })
    expect(body.interests.map((i) => i.interest)).toEqual(['golf'])
    expect((await exportOf('email=nobody@example.org')).status).toBe(404)
    expect((await exportOf(`email=${email}&cookie=${cookie}`)).status).toBe(400)
    expect((await t.app.inject({ method: 'GET', url: `/api/user/export?cookie=${cookie}`, headers: t.auth('read') })).statusCode).toBe(403)
  })
})
