// Erasure without a trace (issue #20): after an erasure job, no byte of the person's identifiers is
// left in the storage files. SQLite: the database file, its -wal and -shm, searched byte by byte
// right after the job, after a clean stop, and after a restart with more ingest. PostgreSQL: the
// tables the job touched are vacuumed (no dead tuples left) and their statistics taken anew.
import fs from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, openTestApp, type TestApp } from '../helpers/app.ts'
import { backend, type TestDatabase } from '../helpers/db.ts'

const stamp = Date.now().toString(36)
const alice = {
  email: `Alice.Erased-${stamp}@Example.org`,
  cookies: [`laptop-${stamp}`, `phone-${stamp}`, `tablet-${stamp}`],
  userId: `user-${stamp}-0042`,
  phone: '+1 415-555-0134',
  phoneStored: '+14155550134',
}

/** Every form an identifier of Alice's may be stored in, as UTF-8. */
const needles = [alice.email, alice.email.toLowerCase(), ...alice.cookies, alice.userId, alice.phone, alice.phoneStored]

async function ingestPeople(t: TestApp, count: number, prefix: string): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ cookie: `${prefix}-c${i}`, email: `${prefix}-${i}@example.net`, phone: `+1 212-555-${String(1000 + i)}`, interests: ['golf'] }))
  expect((await t.ingest(records)).status).toBe(200)
}

async function send(t: TestApp, path: string, body: unknown): Promise<void> {
  const r = await t.app.inject({ method: 'POST', url: path, headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  expect(r.statusCode, r.body).toBeLessThan(300)
}

/**
 * Other people's events and merges. Without any, erasing Alice empties those tables, and PostgreSQL's
 * ANALYZE keeps an empty table's old statistics (docs/privacy.md says so).
 */
async function otherEvents(t: TestApp, count: number, prefix: string): Promise<void> {
  // Their merge history too: each of ingestPeople's people logs in on a second device (a merge entry).
  expect((await t.ingest(Array.from({ length: count }, (_, i) => ({ cookie: `${prefix}-second${i}`, email: `${prefix}-${i}@example.net` })))).status).toBe(200)
  const batch = Array.from({ length: count }, (_, i) => ({ type: 'track', userId: `${prefix}-u${i}`, anonymousId: `${prefix}-a${i}`, event: 'Page Viewed', messageId: `${prefix}-m${i}` }))
  await send(t, '/v1/batch', { batch })
}

async function ingestAlice(t: TestApp): Promise<void> {
  const post = (path: string, body: unknown) => send(t, path, body)
  const [laptop, phone, tablet] = alice.cookies
  await t.ingest([{ cookie: laptop, interests: ['sailing'], timestamp: '2024-01-15T10:00:00Z' }])
  await t.ingest([{ cookie: laptop, email: alice.email, phone: alice.phone, interests: ['tennis'], timestamp: '2024-01-15T10:01:00Z' }])
  await t.ingest([{ cookie: phone, email: alice.email, timestamp: '2024-01-15T10:02:00Z' }])
  // A rejected record that carries the email only in its payload.
  await t.ingest([{ cookie: tablet, email: alice.email, demographics: { age: 'old' } }])
  await post('/v1/identify', { userId: alice.userId, anonymousId: tablet, traits: { email: alice.email, phone: alice.phone }, timestamp: '2024-01-15T10:03:00Z', messageId: `m1-${stamp}` })
  await post('/v1/track', { userId: alice.userId, event: 'Order Completed', properties: { total: 12 }, timestamp: '2024-01-15T10:04:00Z', messageId: `m2-${stamp}` })
  await post('/v1/track', { userId: alice.userId, anonymousId: phone, event: 'Product Viewed', properties: { name: 'racket' }, timestamp: '2024-01-15T10:05:00Z', messageId: `m3-${stamp}` })
  expect((await t.user({ email: alice.email.toLowerCase() })).body.user_profile.cookies.length).toBeGreaterThanOrEqual(3)
}

/** The identifiers found in the SQLite files (database, -wal, -shm), with the file they are in. */
function found(file: string): string[] {
  const hits: string[] = []
  for (const suffix of ['', '-wal', '-shm']) {
    if (!fs.existsSync(file + suffix)) continue
    const bytes = fs.readFileSync(file + suffix)
    for (const needle of needles) if (bytes.includes(Buffer.from(needle, 'utf8'))) hits.push(`${needle} in ${suffix || 'database'}`)
  }
  return hits
}

describe.runIf(backend === 'sqlite')('erasure on SQLite', () => {
  let database: TestDatabase
  afterAll(async () => {
    await database?.drop()
  })

  it('leaves no byte of an erased identifier in the database, WAL or shm file: after the job, after a clean stop and after a restart', async () => {
    let t = await createTestApp()
    database = t.database
    const storage = t.database.config.storage
    if (storage.kind !== 'sqlite') throw new Error('expected SQLite')
    const file = storage.file
    await ingestPeople(t, 200, `before-${stamp}`)
    await otherEvents(t, 50, `before-${stamp}`)
    await ingestAlice(t)
    await ingestPeople(t, 200, `after-${stamp}`)
    // Statistics sample index keys (sqlite_stat4): taken while Alice is in every index.
    const direct = await openDatabase(t.database.config)
    await sql`analyze`.execute(direct.db)
    await direct.close()
    // Her bytes are on disk now (the check below would see them).
    expect(found(file).length).toBeGreaterThan(0)

    const erased = await t.app.inject({ method: 'DELETE', url: `/api/user?email=${encodeURIComponent(alice.email)}`, headers: t.auth('admin') })
    expect(erased.statusCode, erased.body).toBe(200)
    expect(erased.json().status).toBe('finished')
    expect(erased.json().counts.raw_records).toBeGreaterThanOrEqual(7)
    expect(found(file)).toEqual([])
    // Other people are all there.
    expect((await t.user({ email: `before-${stamp}-7@example.net` })).status).toBe(200)

    await t.app.close()
    await t.runtime.close()
    expect(found(file)).toEqual([])

    t = await openTestApp(database)
    await ingestPeople(t, 100, `restart-${stamp}`)
    expect((await t.user({ email: `restart-${stamp}-3@example.net` })).status).toBe(200)
    expect(found(file)).toEqual([])
    await t.app.close()
    await t.runtime.close()
    expect(found(file)).toEqual([])
  })
})

describe.runIf(backend === 'sqlite')('a reader that holds an old snapshot', () => {
  it('delays the checkpoint briefly only: the job finishes, the cause is logged, and the next checkpoint removes the bytes', async () => {
    const logged: string[] = []
    const t = await createTestApp({}, { log: (message) => logged.push(message) })
    try {
      const storage = t.database.config.storage
      if (storage.kind !== 'sqlite') throw new Error('expected SQLite')
      await ingestPeople(t, 20, `held-${stamp}`)
      await ingestAlice(t)
      // A read transaction left open on the snapshot before the erasure (our readers never do this).
      const holder = new BetterSqlite3(storage.file, { readonly: true })
      holder.prepare('begin').run()
      holder.prepare('select count(*) from profiles').get()
      const started = Date.now()
      const erased = await t.app.inject({ method: 'DELETE', url: `/api/user?email=${encodeURIComponent(alice.email)}`, headers: t.auth('admin') })
      const waited = Date.now() - started
      expect(erased.json().status).toBe('finished')
      // The checkpoint gave up after 200 ms: the connection's busy_timeout (5 s) would have taken longer.
      expect(waited).toBeLessThan(5_000)
      expect(logged.some((m) => m.includes('removing the erased rows\' bytes from storage failed') && m.includes('WAL checkpoint did not finish'))).toBe(true)
      expect(found(storage.file).some((hit) => hit.endsWith('in -wal'))).toBe(true)
      holder.prepare('commit').run()
      holder.close()
      // The next erasure's checkpoint (any job) completes it.
      await t.app.inject({ method: 'DELETE', url: `/api/user?email=${encodeURIComponent(`held-${stamp}-1@example.net`)}`, headers: t.auth('admin') })
      expect(found(storage.file)).toEqual([])
    } finally {
      await t.close()
    }
  })
})

describe.runIf(backend === 'postgres')('erasure on PostgreSQL', () => {
  let t: TestApp
  const logged: string[] = []
  afterAll(async () => {
    await t?.close()
  })

  it('finishes the job when a table cannot be vacuumed, logs why, and vacuums the others', async () => {
    t = await createTestApp({}, { log: (message) => logged.push(message) })
    await ingestPeople(t, 20, `locked-${stamp}`)
    await otherEvents(t, 20, `locked-${stamp}`)
    const direct = await openDatabase(t.database.config)
    try {
      // Deletes still run under this lock (row exclusive), VACUUM does not (share update exclusive).
      await direct.db.connection().execute(async (connection) => {
        await sql`begin`.execute(connection)
        await sql`lock table raw_records in share update exclusive mode`.execute(connection)
        const erased = await t.app.inject({ method: 'DELETE', url: `/api/user?email=${encodeURIComponent(`locked-${stamp}-3@example.net`)}`, headers: t.auth('admin') })
        await sql`rollback`.execute(connection)
        expect(erased.statusCode, erased.body).toBe(200)
        expect(erased.json()).toMatchObject({ status: 'finished', counts: { profiles: 1 } })
      })
      const message = logged.find((m) => m.includes("removing the erased rows' bytes from storage failed"))
      expect(message).toContain('VACUUM did not run on raw_records (canceling statement due to lock timeout)')
      expect(message).not.toContain('profiles')
      await sql`create extension if not exists pgstattuple`.execute(direct.db)
      const { rows } = await sql<{ dead: number }>`select dead_tuple_count as dead from pgstattuple('profiles')`.execute(direct.db)
      expect(Number(rows[0]?.dead)).toBe(0)
    } finally {
      await direct.close()
    }
  })

  it('vacuums the tables the job touched: none keeps a dead tuple, and their statistics are fresh', async () => {
    t ??= await createTestApp()
    await ingestPeople(t, 50, `before-${stamp}`)
    await otherEvents(t, 50, `before-${stamp}`)
    await ingestAlice(t)
    const direct = await openDatabase(t.database.config)
    try {
      await sql`analyze`.execute(direct.db)
      const erased = await t.app.inject({ method: 'DELETE', url: `/api/user?email=${encodeURIComponent(alice.email)}`, headers: t.auth('admin') })
      expect(erased.statusCode, erased.body).toBe(200)
      const counts = erased.json().counts as Record<string, number>
      expect(counts.raw_records).toBeGreaterThanOrEqual(7)
      // pgstattuple reads the heap itself, so it needs no statistics collector to catch up.
      await sql`create extension if not exists pgstattuple`.execute(direct.db)
      for (const table of ['raw_records', 'profiles', 'identities', 'logins', 'events', 'privacy_job_identifiers']) {
        const { rows } = await sql<{ dead: number }>`select dead_tuple_count as dead from pgstattuple(${table})`.execute(direct.db)
        expect([table, Number(rows[0]?.dead)]).toEqual([table, 0])
      }
      // Column statistics sample values (most common values, histograms): taken again without her.
      const { rows } = await sql<{ column: string; text: string }>`
        select tablename || '.' || attname as column, coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, '') as text
        from pg_stats where schemaname = 'public'`.execute(direct.db)
      expect(rows.filter((r) => needles.some((n) => r.text.includes(n))).map((r) => r.column)).toEqual([])
    } finally {
      await direct.close()
    }
  })
})
