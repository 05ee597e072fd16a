// What an event writes besides itself: a known visitor's event that changes nothing on the profile
// or the cookie (an older timestamp, a category the profile already has) must not rewrite their
// rows. Every such rewrite is a random page the commit writes for nothing (docs/benchmarks.md).
import { afterAll, beforeAll, expect, it } from 'vitest'
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

const T0 = Date.parse('2026-06-01T12:00:00Z')

async function track(messageId: string, offsetMs: number): Promise<void> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { ...t.auth('ingest'), 'content-type': 'application/json' },
    payload: JSON.stringify({
      batch: [{ type: 'track', event: 'Product Viewed', anonymousId: 'quiet-visitor', messageId, timestamp: new Date(T0 + offsetMs).toISOString(), properties: { category: 'running shoes' } }],
    }),
  })
  expect(response.statusCode, response.body).toBe(200)
}

async function rowsOf(profileId: string) {
  const profile = await direct.db.selectFrom('profiles').select(['last_seen', 'updated_at']).where('id', '=', profileId).executeTakeFirstOrThrow()
  const cookie = await direct.db.selectFrom('identities').select(['last_seen']).where('kind', '=', 'cookie').where('value', '=', 'quiet-visitor').executeTakeFirstOrThrow()
  return { profile: { lastSeen: Number(profile.last_seen), updatedAt: Number(profile.updated_at) }, cookieLastSeen: Number(cookie.last_seen) }
}

it('does not rewrite the profile or the cookie for an event that changes neither', async () => {
  await track('m-1', 0)
  await track('m-2', 60_000)
  const profileId = await t.runtime.store.findProfileId('cookie', 'quiet-visitor')
  if (!profileId) throw new Error('no profile')
  const before = await rowsOf(profileId)
  // updated_at is the write's clock: let it move, so a rewrite would show.
  await new Promise((resolve) => setTimeout(resolve, 5))
  // Between the two: it moves neither first_seen nor last_seen.
  await track('m-3', 30_000)
  const after = await rowsOf(profileId)
  expect(after).toEqual(before)
  expect(after.profile.lastSeen).toBe(T0 + 60_000)
  // The older event is stored all the same.
  const events = await direct.db.selectFrom('events').select('message_id').where('profile_id', '=', profileId).orderBy('message_id').execute()
  expect(events.map((e) => e.message_id)).toEqual(['m-1', 'm-2', 'm-3'])
})

it('still writes last_seen when an event moves it', async () => {
  await track('m-4', 120_000)
  const profileId = await t.runtime.store.findProfileId('cookie', 'quiet-visitor')
  if (!profileId) throw new Error('no profile')
  const after = await rowsOf(profileId)
  expect(after.profile.lastSeen).toBe(T0 + 120_000)
  expect(after.cookieLastSeen).toBe(T0 + 120_000)
})
