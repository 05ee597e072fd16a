// Erasure, suppression, retention and the privacy CLI through the real HTTP API and the real database
// (issue #12, docs/privacy.md).
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../../src/compose.ts'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const run = promisify(execFile)
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

let counter = 0
const unique = (name: string) => `${name}-${++counter}-${Date.now().toString(36)}`
const email = (name: string) => `${unique(name)}@example.org`
const at = (minute: number) => new Date(Date.UTC(2024, 0, 15, 10, minute)).toISOString()

async function send(path: string, body: unknown) {
  const r = await t.app.inject({ method: 'POST', url: path, headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  expect(r.statusCode, r.body).toBeLessThan(300)
  return r.json() as Record<string, unknown>
}

async function admin(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  return await t.app.inject({ method, url, headers: t.auth('admin'), ...(payload === undefined ? {} : { payload: payload as object }) })
}

/** Rows of each table that mention the person's profile ids or identifiers. */
async function leftovers(p: { profileIds: string[]; emails: string[]; cookies: string[]; userIds: string[]; rawIds: number[] }) {
  const { db } = direct
  const ids = p.profileIds
  const count = async (q: { execute(): Promise<unknown[]> }) => (await q.execute()).length
  const values = [...p.emails, ...p.cookies, ...p.userIds]
  return {
    profiles: await count(db.selectFrom('profiles').select('id').where('id', 'in', ids)),
    identities: await count(db.selectFrom('identities').select('value').where((eb) => eb.or([eb('profile_id', 'in', ids), eb('value', 'in', [...values, ...ids])]))),
    logins: await count(db.selectFrom('logins').select('email').where('email', 'in', p.emails)),
    profile_interests: await count(db.selectFrom('profile_interests').select('interest').where('profile_id', 'in', ids)),
    cohort_memberships: await count(db.selectFrom('cohort_memberships').select('cohort_id').where('profile_id', 'in', ids)),
    segment_memberships: await count(db.selectFrom('segment_memberships').select('segment_id').where('profile_id', 'in', ids)),
    segment_schedule: await count(db.selectFrom('segment_schedule').select('segment_id').where('profile_id', 'in', ids)),
    entered_changes: await count(db.selectFrom('segment_changes').select('id').where('profile_id', 'in', ids).where('change', '=', 'entered')),
    events: await count(db.selectFrom('events').select('id').where((eb) => eb.or([eb('profile_id', 'in', ids), eb('anonymous_id', 'in', p.cookies), eb('user_id', 'in', p.userIds)]))),
    consent_changes: await count(db.selectFrom('consent_changes').select('id').where('profile_id', 'in', ids)),
    merges: await count(db.selectFrom('merges').select('id').where((eb) => eb.or([eb('survivor_id', 'in', ids), eb('absorbed_id', 'in', ids), eb('identifier', 'in', values)]))),
    raw_records: await count(
      db
        .selectFrom('raw_records')
        .select('id')
        .where((eb) => eb.or([eb('id', 'in', p.rawIds), eb('email', 'in', p.emails), eb('cookie', 'in', p.cookies)])),
    ),
  }
}

const NOTHING = {
  profiles: 0,
  identities: 0,
  logins: 0,
  profile_interests: 0,
  cohort_memberships: 0,
  segment_memberships: 0,
  segment_schedule: 0,
  entered_changes: 0,
  events: 0,
  consent_changes: 0,
  merges: 0,
  raw_records: 0,
}

interface MergeJson {
  id: number
  reason: string
  survivor_id: string | null
  absorbed_id: string | null
  identifier: string | null
  raw_record: { id: number } | null
}

async function rawIdsOf(emails: string[], cookies: string[]): Promise<number[]> {
  const rows = await direct.db
    .selectFrom('raw_records')
    .select('id')
    .where((eb) => eb.or([eb('email', 'in', emails), eb('cookie', 'in', cookies)]))
    .execute()
  return rows.map((r) => Number(r.id))
}

describe('erasure', () => {
  it('erases a person everywhere, leaves a "left" entry on their segment, and no replay or rebuild brings them back', async () => {
    const segment = await admin('POST', '/api/segments', { name: unique('adults'), conditions: { field: 'age', op: 'gte', value: 18 } })
    expect(segment.statusCode, segment.body).toBe(201)
    const segmentId = segment.json().id as string

    const cookie = unique('c')
    const other = unique('c2')
    const mail = email('jane')
    const userId = unique('u')
    await t.ingest([{ cookie, interests: ['golf'], timestamp: at(1) }])
    await t.ingest([{ cookie, email: mail, demographics: { age: 30 }, consent: { analytics: true }, timestamp: at(2) }])
    await t.ingest([{ cookie: other, email: mail, timestamp: at(3) }])
    // Rejected, with a readable cookie, and one naming the email inside its payload only.
    await t.ingest([{ cookie, email: 'not-an-email', timestamp: at(4) }])
    await t.ingest([{ email: mail, demographics: { age: 'old' } }])
    await send('/v1/identify', { userId, anonymousId: cookie, traits: { email: mail }, timestamp: at(5), messageId: unique('m') })
    await send('/v1/track', { userId, anonymousId: cookie, event: 'Viewed Product', properties: { category: 'golf' }, timestamp: at(6), messageId: unique('m') })
    await send('/v1/track', { userId, event: 'Bought', timestamp: at(7), messageId: unique('m') })

    const before = await t.user({ email: mail })
    expect(before.status).toBe(200)
    const profileId = before.body.user_profile.profile_id
    const member = await direct.db.selectFrom('segment_memberships').select('profile_id').where('segment_id', '=', segmentId).where('profile_id', '=', profileId).execute()
    expect(member).toHaveLength(1)
    const membersBefore = Number((await direct.db.selectFrom('segments').select('members').where('id', '=', segmentId).executeTakeFirstOrThrow()).members)
    const rawIds = await rawIdsOf([mail], [cookie, other, `uid:${userId}`])
    const rejected = await direct.db.selectFrom('raw_records').select('id').where('status', '=', 'rejected').where('payload', 'like', `%${mail}%`).execute()
    expect(rejected.length).toBeGreaterThan(0)

    let woken = 0
    const unsubscribe = t.runtime.notifier.subscribe(segmentId, () => woken++)
    const erased = await admin('DELETE', `/api/user?email=${encodeURIComponent(mail)}`)
    unsubscribe()
    expect(erased.statusCode, erased.body).toBe(200)
    // Streams and webhooks of the segment are woken for the "left" entry.
    expect(woken).toBeGreaterThan(0)
    const job = erased.json()
    expect(job.status).toBe('finished')
    expect(job.finished_at).not.toBeNull()
    expect(job.counts.profiles).toBe(1)
    expect(job.counts.events).toBeGreaterThanOrEqual(2)
    expect(job.counts.raw_records).toBeGreaterThanOrEqual(rawIds.length + rejected.length)

    const queries: Array<Record<string, string>> = [{ email: mail }, { cookie }, { cookie: other }, { user_id: userId }, { profile_id: profileId }]
    for (const query of queries) {
      expect((await t.user(query)).status, JSON.stringify(query)).toBe(404)
    }
    const person = { profileIds: [profileId], emails: [mail], cookies: [cookie, other, `uid:${userId}`], userIds: [userId], rawIds: [...rawIds, ...rejected.map((r) => Number(r.id))] }
    expect(await leftovers(person)).toEqual(NOTHING)
    const payloads = await direct.db.selectFrom('raw_records').select('id').where('payload', 'like', `%${mail}%`).execute()
    expect(payloads).toEqual([])

    // The segment hears they left, with the reason and no identifier but the profile id.
    const left = await direct.db.selectFrom('segment_changes').selectAll().where('segment_id', '=', segmentId).where('profile_id', '=', profileId).execute()
    expect(left.map((c) => [c.change, c.reason])).toEqual([['left', 'erased']])
    const membersAfter = Number((await direct.db.selectFrom('segments').select('members').where('id', '=', segmentId).executeTakeFirstOrThrow()).members)
    expect(membersAfter).toBe(membersBefore - 1)

    // The audit row names no identifier in any column.
    const audit = await direct.db.selectFrom('privacy_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow()
    const auditText = JSON.stringify(audit)
    for (const value of [mail, cookie, other, userId, profileId]) expect(auditText).not.toContain(value)
    expect(audit.requested_by).not.toBeNull()
    expect(await direct.db.selectFrom('privacy_job_identifiers').selectAll().where('job_id', '=', job.id).execute()).toEqual([])

    // Replaying every rejected record and a late login on the cookie find nothing of them.
    const stored = await t.runtime.store.listRawRecords({ status: 'rejected', limit: 10_000, afterId: undefined })
    await t.runtime.pipeline.replay(stored)
    const late = email('late')
    await t.ingest([{ cookie, email: late, timestamp: at(0) }])
    const rebuilt = await t.user({ email: late })
    expect(rebuilt.status).toBe(200)
    expect(rebuilt.body.user_profile.interests).toEqual([])
    expect(rebuilt.body.user_profile.demographics.age).toBeNull()
    expect(await leftovers({ ...person, cookies: [other, `uid:${userId}`] })).toEqual(NOTHING)
    expect((await t.user({ email: mail })).status).toBe(404)
  })

  it('leaves the other person of a shared cookie intact', async () => {
    const shared = unique('shared')
    const a = email('a')
    const b = email('b')
    await t.ingest([
      { cookie: shared, email: a, timestamp: at(10) },
      { cookie: shared, interests: ['tennis'], timestamp: at(11) },
      { cookie: shared, email: b, timestamp: at(20) },
      { cookie: shared, interests: ['chess'], timestamp: at(21) },
    ])
    const bBefore = (await t.user({ email: b })).body.user_profile
    expect(bBefore.interests).toEqual(['chess'])
    const erased = await admin('DELETE', `/api/user?email=${encodeURIComponent(a)}`)
    expect(erased.json().status).toBe('finished')
    expect((await t.user({ email: a })).status).toBe(404)
    const bAfter = (await t.user({ email: b })).body.user_profile
    expect(bAfter.profile_id).toBe(bBefore.profile_id)
    expect(bAfter.interests).toEqual(['chess'])
    const logins = await direct.db.selectFrom('logins').select('email').where('cookie', '=', shared).execute()
    expect(logins.map((l) => l.email)).toEqual([b])
    const raw = await direct.db.selectFrom('raw_records').select(['email', 'payload']).where('cookie', '=', shared).execute()
    expect(raw).toHaveLength(2)
    expect(raw.some((r) => r.payload.includes('tennis'))).toBe(false)
    expect(await direct.db.selectFrom('merges').select('id').where('identifier', '=', a).execute()).toEqual([])
    expect(await direct.db.selectFrom('identities').select('profile_id').where('kind', '=', 'cookie').where('value', '=', shared).execute()).toEqual([{ profile_id: bBefore.profile_id }])
  })

  it("never deletes or alters another person's rows: a shared laptop's moves stay in Bob's history with Alice's id cleared", async () => {
    const [laptop, tablet, ca, cb] = [unique('laptop'), unique('tablet'), unique('ca'), unique('cb')]
    const [a, b] = [email('alice'), email('bob')]
    // The laptop logs in as Alice, then as Bob (it moves to Bob); the tablet as Bob, then as Alice.
    await t.ingest([{ cookie: ca, email: a, interests: ['golf'], timestamp: at(1) }])
    await t.ingest([{ cookie: cb, email: b, interests: ['chess'], timestamp: at(2) }])
    await t.ingest([{ cookie: laptop, email: a, timestamp: at(10) }])
    await t.ingest([{ cookie: laptop, interests: ['tennis'], timestamp: at(11) }])
    await t.ingest([{ cookie: laptop, email: b, timestamp: at(20) }])
    await t.ingest([{ cookie: laptop, interests: ['sailing'], timestamp: at(21) }])
    await t.ingest([{ cookie: tablet, email: b, timestamp: at(30) }])
    await t.ingest([{ cookie: tablet, email: a, timestamp: at(40) }])
    // Rejected records on the laptop: Bob's stays his, Alice's goes with her.
    await t.ingest([{ cookie: laptop, email: b, demographics: { age: 'old' }, timestamp: at(22) }])
    await t.ingest([{ cookie: laptop, email: a, demographics: { age: 'older' }, timestamp: at(23) }])
    const rejectedOnLaptop = async () =>
      (await direct.db.selectFrom('raw_records').select('payload').where('cookie', '=', laptop).where('status', '=', 'rejected').execute()).map((r) => JSON.parse(r.payload).email as string)
    expect((await rejectedOnLaptop()).sort()).toEqual([a, b].sort())

    const aliceId = (await t.user({ email: a })).body.user_profile.profile_id
    const bobBefore = (await t.user({ email: b })).body.user_profile
    const bobId = bobBefore.profile_id
    const identitiesOf = async (profileId: string) =>
      await direct.db.selectFrom('identities').select(['kind', 'value', 'first_seen', 'last_seen']).where('profile_id', '=', profileId).orderBy('kind').orderBy('value').execute()
    const bobIdentities = await identitiesOf(bobId)
    const history = async () => (await admin('GET', `/api/user/merges?email=${encodeURIComponent(b)}`)).json().merges as MergeJson[]
    const bobHistory = await history()
    const moves = bobHistory.filter((m) => m.reason === 'cookie_moved')
    expect(moves.map((m) => [m.identifier, m.survivor_id, m.absorbed_id])).toEqual([
      [laptop, bobId, aliceId],
      [tablet, aliceId, bobId],
    ])
    const aliceRaw = await direct.db
      .selectFrom('raw_records')
      .select('id')
      .where((eb) => eb.or([eb('email', '=', a), eb('cookie', '=', ca), eb('payload', 'like', '%tennis%')]))
      .execute()
    const aliceRawIds = aliceRaw.map((r) => Number(r.id))

    const erased = await admin('DELETE', `/api/user?email=${encodeURIComponent(a)}`)
    expect(erased.json()).toMatchObject({ status: 'finished', counts: { profiles: 1, merges_cleared: 2 } })

    // Bob: the same profile, identities and history, where Alice's id and her raw record are cleared.
    expect((await t.user({ email: b })).body.user_profile).toEqual(bobBefore)
    expect(await identitiesOf(bobId)).toEqual(bobIdentities)
    const cleared = bobHistory.map((m) => ({
      ...m,
      survivor_id: m.survivor_id === aliceId ? null : m.survivor_id,
      absorbed_id: m.absorbed_id === aliceId ? null : m.absorbed_id,
      raw_record: m.raw_record !== null && aliceRawIds.includes(m.raw_record.id) ? null : m.raw_record,
    }))
    expect(await history()).toEqual(cleared)
    const laptopMove = cleared.find((m) => m.identifier === laptop)
    expect(laptopMove).toMatchObject({ reason: 'cookie_moved', survivor_id: bobId, absorbed_id: null })
    expect(laptopMove?.raw_record).not.toBeNull()
    expect(await direct.db.selectFrom('logins').select('email').where('cookie', 'in', [laptop, tablet]).orderBy('cookie').execute()).toEqual([{ email: b }, { email: b }])
    expect(await rejectedOnLaptop()).toEqual([b])

    // Nothing of Alice remains, in any column of the merge log either.
    // (Alice sent no user id: the helper's lists must not be empty on PostgreSQL.)
    expect(await leftovers({ profileIds: [aliceId], emails: [a], cookies: [ca], userIds: [unique('none')], rawIds: aliceRawIds })).toEqual(NOTHING)
    const log = JSON.stringify(await direct.db.selectFrom('merges').selectAll().execute())
    for (const value of [aliceId, a, ca]) expect(log).not.toContain(value)
    expect((await t.user({ email: a })).status).toBe(404)

    // Readers cope with a cleared id: the CLI lists the history, and the tablet's move (its survivor
    // erased) cannot be undone.
    const tabletMove = cleared.find((m) => m.identifier === tablet)
    const unmerge = await admin('POST', '/api/user/unmerge', { merge_id: tabletMove?.id })
    expect(unmerge.statusCode, unmerge.body).toBe(409)
    expect(unmerge.json().error.message).toContain('was erased')
    const listed = (await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'user', 'merges', '--email', b], { env: { ...process.env, ...t.database.env } })).stdout
    expect(listed).toContain(laptop)
    expect(listed).toContain('(erased)')
  })

  it('after an unmerge, erasing the split-off visitor removes the refused link and the refusals that name their cookie', async () => {
    const [ca, cb, eb] = [unique('ca'), unique('cb'), email('bob')]
    await t.ingest([{ cookie: ca, interests: ['golf'], timestamp: at(1) }])
    await t.ingest([{ cookie: cb, email: eb, timestamp: at(2) }])
    await t.ingest([{ cookie: ca, email: eb, timestamp: at(3) }])
    const history = await admin('GET', `/api/user/merges?email=${encodeURIComponent(eb)}`)
    const match = (history.json().merges as Array<{ id: number; reason: string }>).find((m) => m.reason === 'email_match')
    expect(match).toBeDefined()
    expect((await admin('POST', '/api/user/unmerge', { merge_id: match?.id })).statusCode).toBe(200)
    // The same link again: refused, and the refusal on Bob's history names the visitor's cookie.
    await t.ingest([{ cookie: ca, email: eb, timestamp: at(4) }])
    const named = () => direct.db.selectFrom('merges').select('reason').where('identifier', '=', ca).execute()
    expect((await named()).map((m) => m.reason)).toContain('refused')

    expect((await admin('DELETE', `/api/user?cookie=${encodeURIComponent(ca)}`)).json().status).toBe('finished')
    expect((await t.user({ cookie: ca })).status).toBe(404)
    expect(await direct.db.selectFrom('refused_links').select('email').where('cookie', '=', ca).execute()).toEqual([])
    expect(await named()).toEqual([])
    // Bob is untouched.
    expect((await t.user({ email: eb })).body.user_profile.cookies).toEqual([cb])
  })

  it('runs a bulk erasure in the background and reports it; refuses more than 5,000 identifiers', async () => {
    const people = [email('bulk'), email('bulk')]
    for (const [i, mail] of people.entries()) await t.ingest([{ cookie: unique('bc'), email: mail, timestamp: at(i) }])
    const accepted = await admin('POST', '/api/privacy/erasures', { identifiers: people.map((e) => ({ email: e })) })
    expect(accepted.statusCode, accepted.body).toBe(202)
    const id = accepted.json().id as string
    await t.runtime.privacy.settled(id)
    const status = await admin('GET', `/api/privacy/erasures/${id}`)
    expect(status.statusCode).toBe(200)
    expect(status.json()).toMatchObject({ id, status: 'finished', identifier_count: 2, suppress: false })
    expect(status.json().counts.profiles).toBe(2)
    for (const mail of people) expect((await t.user({ email: mail })).status).toBe(404)

    const tooMany = await admin('POST', '/api/privacy/erasures', { identifiers: Array.from({ length: 5001 }, (_, i) => ({ cookie: `c${i}` })) })
    expect(tooMany.statusCode).toBe(400)
    expect(tooMany.json().error.message).toContain('at most 5000')
    expect((await admin('GET', '/api/privacy/erasures/era_missing')).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'DELETE', url: '/api/user?email=x@example.org', headers: t.auth('read') })).statusCode).toBe(403)
  })
})

describe('erasure requests with malformed identifiers', () => {
  const jobCount = async () => ((await admin('GET', '/api/privacy/erasures?limit=1000')).json().jobs as unknown[]).length

  it('answers 400 with what is wrong, and starts no job', async () => {
    const before = await jobCount()
    const cases: Array<[string, string]> = [
      ['/api/user?email=bob%40', 'email: must be a valid address (got "bob@")'],
      ['/api/user?email=%20Jane%40example', 'email: must be a valid address (got " Jane@example")'],
      ['/api/user?email=%20%20', 'email: must not be empty'],
      ['/api/user?email=', 'email'],
      ['/api/user?cookie=null', 'cookie: "null" is a placeholder'],
      ['/api/user?user_id=undefined', 'user_id: "undefined" is a placeholder'],
      ['/api/user?raw_value=bob%40&email=bob%40example.org', 'raw_value: give it alone'],
      ['/api/user?raw_value=bob%40&suppress=1', 'suppress: a raw_value names no person'],
    ]
    for (const [url, message] of cases) {
      const r = await admin('DELETE', url)
      expect([url, r.statusCode], r.body).toEqual([url, 400])
      expect(r.json().error.code).toBe('invalid_input')
      expect(r.json().error.message).toContain(message)
      expect(r.json().error.request_id).toEqual(expect.any(String))
    }
    const batch = await admin('POST', '/api/privacy/erasures', { identifiers: [{ email: email('fine') }, { email: 'bob@' }, { cookie: ' ' }] })
    expect(batch.statusCode, batch.body).toBe(400)
    expect(batch.json().error.message).toBe(
      'identifiers[1].email: must be a valid address (got "bob@"); it has no domain after the "@". To erase raw records that carry this exact text, use raw_value; identifiers[2].cookie: must not be empty',
    )
    expect(await jobCount()).toBe(before)
  })

  it('erases the raw records that carry a malformed value with raw_value (admin only), and nothing else', async () => {
    const bad = `bob-${unique('x')}@`
    const [c1, c2, c3] = [unique('rv'), unique('rv'), unique('rv')]
    // Refused for its email (rejected); accepted with the value in a trait; a longer string that only contains it.
    await t.ingest([{ cookie: c1, email: bad, timestamp: at(1) }])
    await t.ingest([{ cookie: c2, traits: { typed_email: bad }, timestamp: at(2) }])
    await t.ingest([{ cookie: c3, traits: { note: `${bad}example.org` }, timestamp: at(3) }])
    const carrying = async () => (await direct.db.selectFrom('raw_records').select(['cookie']).where('cookie', 'in', [c1, c2, c3]).orderBy('cookie').execute()).map((r) => r.cookie)
    expect(await carrying()).toEqual([c1, c2, c3].sort())

    expect((await t.app.inject({ method: 'DELETE', url: `/api/user?raw_value=${encodeURIComponent(bad)}`, headers: t.auth('read') })).statusCode).toBe(403)
    const erased = await admin('DELETE', `/api/user?raw_value=${encodeURIComponent(bad)}`)
    expect(erased.statusCode, erased.body).toBe(200)
    expect(erased.json()).toMatchObject({ status: 'finished', identifier_count: 1, counts: { raw_records: 2 } })
    expect(await carrying()).toEqual([c3])
    // Nothing derived is touched: the cookie's profile stays.
    expect((await t.user({ cookie: c2 })).status).toBe(200)

    // The command line: the same option, and a file line with a malformed email is refused by line.
    const again = `${bad}again`
    await t.ingest([{ cookie: c1, traits: { typed_email: again }, timestamp: at(4) }])
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'privacy', 'erase', ...args], { env: { ...process.env, ...t.database.env } })
    expect(JSON.parse((await cli('--raw-value', again)).stdout)).toMatchObject({ status: 'finished', requested_by: 'cli', counts: { raw_records: 1 } })
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-erase-'))
    const file = path.join(dir, 'ids.ndjson')
    fs.writeFileSync(file, `${JSON.stringify({ email: email('ok') })}\n${JSON.stringify({ email: 'bob@' })}\n`)
    const refused = await cli('--file', file).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    )
    fs.rmSync(dir, { recursive: true, force: true })
    expect(refused?.code).not.toBe(0)
    expect(refused?.stderr).toContain(`line 2: email: must be a valid address (got "bob@")`)
  })
})

describe('an interrupted erasure', () => {
  it('resumes at the next start from its pending identifiers, which go when it ends', async () => {
    const mail = email('resume')
    await t.ingest([{ cookie: unique('rc'), email: mail, timestamp: at(1) }])
    // A job as a process stopped mid-way leaves it: running, its identifiers pending.
    const id = `era_interrupted${++counter}`
    await direct.db
      .insertInto('privacy_jobs')
      .values({ id, kind: 'erasure', status: 'running', requested_by: null, requested_at: Date.now(), identifiers_hash: 'h', identifier_count: 1, suppress: 0, counts: '{}', error: null, finished_at: null })
      .execute()
    await direct.db.insertInto('privacy_job_identifiers').values({ job_id: id, kind: 'email', value: mail }).execute()
    const restarted = await openRuntime(t.database.config, { background: true })
    try {
      await restarted.privacy.settled(id)
    } finally {
      await restarted.close()
    }
    expect((await admin('GET', `/api/privacy/erasures/${id}`)).json()).toMatchObject({ status: 'finished', counts: { profiles: 1 } })
    expect((await t.user({ email: mail })).status).toBe(404)
    expect(await direct.db.selectFrom('privacy_job_identifiers').selectAll().where('job_id', '=', id).execute()).toEqual([])
  })
})

describe('suppression', () => {
  it('refuses new data carrying a suppressed identifier, stores nothing of it, and takes it again once unsuppressed', async () => {
    const cookie = unique('sc')
    const mail = email('sup')
    const userId = unique('su')
    await t.ingest([{ cookie, email: mail, timestamp: at(1) }])
    const erased = await admin('DELETE', `/api/user?email=${encodeURIComponent(mail)}&suppress=1`)
    expect(erased.json()).toMatchObject({ status: 'finished', suppress: true })
    const added = await admin('POST', '/api/privacy/suppressions', { identifiers: [{ user_id: userId }] })
    expect(added.statusCode, added.body).toBe(200)
    expect(added.json().total).toBeGreaterThanOrEqual(3)

    const r = await t.ingest([{ cookie, timestamp: at(2) }, { cookie: unique('fresh'), email: mail }, { cookie: unique('ok') }, { cookie, email: 'bad-email' }])
    expect(r.body).toMatchObject({ records_processed: 4, suppressed: 3 })
    const v1 = await send('/v1/track', { userId, event: 'Viewed', messageId: unique('m') })
    expect(v1).toMatchObject({ suppressed: 1, accepted: 0 })
    const rows = await direct.db
      .selectFrom('raw_records')
      .select('id')
      .where((eb) => eb.or([eb('cookie', '=', cookie), eb('email', '=', mail), eb('cookie', '=', `uid:${userId}`)]))
      .execute()
    expect(rows).toEqual([])
    expect((await t.user({ email: mail })).status).toBe(404)
    const hashes = JSON.stringify(await direct.db.selectFrom('suppressions').selectAll().execute())
    for (const value of [mail, cookie, userId]) expect(hashes).not.toContain(value)

    const removed = await admin('POST', '/api/privacy/suppressions/remove', { identifiers: [{ email: mail }, { cookie }, { user_id: userId }] })
    expect(removed.json().removed).toBe(3)
    const again = await t.ingest([{ cookie, email: mail, timestamp: at(3) }])
    expect(again.body).toMatchObject({ records_processed: 1, suppressed: 0, records_failed: 0 })
    expect((await t.user({ email: mail })).status).toBe(200)
  })
})

describe('retention', () => {
  it('purges raw records, events and likely matches’ sightings older than the configured days, and only those', async () => {
    const day = 24 * 60 * 60 * 1000
    const now = Date.now()
    const kept = await createTestApp({ CDP_RETENTION_RAW_DAYS: '30', CDP_RETENTION_EVENTS_DAYS: '30', CDP_LIKELY_MATCHES: 'on' })
    try {
      const ingest = (records: unknown[], receivedAt: number) => kept.runtime.pipeline.ingest({ records: records.map((value, index) => ({ index, value })), source: 'test', contentType: 'json', receivedAt })
      await ingest([{ cookie: 'old', timestamp: new Date(now - 60 * day).toISOString() }], now - 60 * day)
      await ingest([{ cookie: 'new', timestamp: new Date(now - day).toISOString() }], now - day)
      const context = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' }
      await kept.runtime.pipeline.ingestMessages({ messages: [{ index: 0, value: { type: 'track', anonymousId: 'old', event: 'Old', context, timestamp: new Date(now - 40 * day).toISOString(), messageId: 'r-old' } }], source: 'test', receivedAt: now - 40 * day })
      await kept.runtime.pipeline.ingestMessages({ messages: [{ index: 0, value: { type: 'track', anonymousId: 'new', event: 'New', context, timestamp: new Date(now - day).toISOString(), messageId: 'r-new' } }], source: 'test', receivedAt: now - day })
      const result = await kept.runtime.privacy.purgeRetention()
      expect(result).toEqual({ rawRecords: 2, events: 1, deviceSightings: 1 })
      const other = await openDatabase(kept.database.config)
      try {
        const raw = await other.db.selectFrom('raw_records').select('cookie').orderBy('id').execute()
        expect(raw.map((r) => r.cookie)).toEqual(['new', 'new'])
        const events = await other.db.selectFrom('events').select('name').execute()
        expect(events.map((e) => e.name)).toEqual(['New'])
        const sightings = await other.db.selectFrom('device_sightings').select('cookie').execute()
        expect(sightings.map((r) => r.cookie)).toEqual(['new'])
      } finally {
        await other.close()
      }
      expect(await kept.runtime.privacy.purgeRetention()).toEqual({ rawRecords: 0, events: 0, deviceSightings: 0 })
    } finally {
      await kept.close()
    }
  })
})

describe('cdp privacy', () => {
  const cdp = async (...args: string[]) => (await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'privacy', ...args], { env: { ...process.env, ...t.database.env } })).stdout

  it('exports, suppresses, erases and reports a job from the command line', async () => {
    const mail = email('cli')
    await t.ingest([{ cookie: unique('cc'), email: mail, interests: ['golf'], timestamp: at(1) }])
    const exported = JSON.parse(await cdp('export', '--email', mail))
    expect(exported.profile.email).toBe(mail)
    expect(exported.raw_records).toHaveLength(1)
    const job = JSON.parse(await cdp('erase', '--email', mail, '--suppress'))
    expect(job).toMatchObject({ status: 'finished', suppress: true, requested_by: 'cli' })
    expect(JSON.parse(await cdp('status', job.id))).toMatchObject({ id: job.id, status: 'finished' })
    expect(JSON.parse(await cdp('unsuppress', '--email', mail))).toMatchObject({ removed: 1 })
    expect(JSON.parse(await cdp('suppress', '--email', mail))).toMatchObject({ added: 1 })

    // cdp import counts what the suppression list refused.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-privacy-'))
    const file = path.join(dir, 'people.ndjson')
    fs.writeFileSync(file, `${JSON.stringify({ cookie: unique('ic'), email: mail })}\n${JSON.stringify({ cookie: unique('ic') })}\n`)
    await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'import', file, '--quiet', '--report', path.join(dir, 'report.json')], { env: { ...process.env, ...t.database.env } })
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'))).toMatchObject({ rows_read: 2, accepted: 1, suppressed: 1 })
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
