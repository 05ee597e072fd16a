// POST /api/raw/replay: rejected records run through the current rules again over HTTP, as `cdp replay`
// (without a fix) does: after the rule that rejected them changed, they are applied; the rest stay rejected.
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { ADMIN_KEY, openTestApp, type TestApp } from '../helpers/app.ts'
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
