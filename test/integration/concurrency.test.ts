// Rule 6: 50 simultaneous requests with one new email and 50 cookies end as one profile — through
// a listening server, and on PostgreSQL also through several server processes at once.
import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let base: string
// The races need more cookies on one email than the guardrail allows a person (10 by default).
const LIMITS = { CDP_MAX_COOKIES_PER_PERSON: '1000' }
beforeAll(async () => {
  t = await createTestApp(LIMITS)
  base = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => t.close())

async function post(url: string, key: string, body: unknown): Promise<number> {
  const response = await fetch(`${url}/api/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  await response.arrayBuffer()
  return response.status
}

async function expectOnePerson(email: string, cookies: string[]): Promise<void> {
  const r = await t.user({ email })
  expect(r.status).toBe(200)
  expect(new Set(r.body.user_profile.cookies)).toEqual(new Set(cookies))
  for (const cookie of cookies) {
    const byCookie = await t.user({ cookie })
    expect(byCookie.body.user_profile.profile_id).toBe(r.body.user_profile.profile_id)
  }
  expect(await t.runtime.store.countProfiles()).toBeGreaterThanOrEqual(1)
}

describe('concurrent ingest of one new email', () => {
  it('50 simultaneous requests with 50 cookies end as exactly one profile', async () => {
    const email = `race-${Date.now()}@example.org`
    const cookies = Array.from({ length: 50 }, (_, i) => `race-cookie-${i}-${Date.now()}`)
    const before = await t.runtime.store.countProfiles()
    const statuses = await Promise.all(cookies.map((cookie) => post(base, t.keys.ingest, { cookie, email, interests: ['chess'] })))
    expect(statuses.every((s) => s === 200)).toBe(true)
    await expectOnePerson(email, cookies)
    expect(await t.runtime.store.countProfiles()).toBe(before + 1)
  })

  it('an email arriving on cookies that already browsed anonymously merges them all', async () => {
    const email = `race2-${Date.now()}@example.org`
    const cookies = Array.from({ length: 50 }, (_, i) => `race2-cookie-${i}-${Date.now()}`)
    await Promise.all(cookies.map((cookie) => post(base, t.keys.ingest, { cookie, interests: ['golf'] })))
    const before = await t.runtime.store.countProfiles()
    await Promise.all(cookies.map((cookie) => post(base, t.keys.ingest, { cookie, email })))
    await expectOnePerson(email, cookies)
    expect(await t.runtime.store.countProfiles()).toBe(before - 49)
  })
})

describe.runIf(process.env.DATABASE_URL)('several server processes on PostgreSQL', () => {
  const servers: ChildProcess[] = []
  const urls: string[] = []
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
        env: { ...process.env, ...t.database.env, ...LIMITS, PORT: '0', CDP_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      servers.push(child)
      const url = await new Promise<string>((resolve, reject) => {
        let output = ''
        const timer = setTimeout(() => reject(new Error(`server ${i} did not start: ${output}`)), 30_000)
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          const listening = /listening on (http:\/\/\S+)/.exec(output)
          if (listening?.[1]) {
            clearTimeout(timer)
            resolve(listening[1])
          }
        }
        child.stdout?.on('data', onData)
        child.stderr?.on('data', onData)
        child.on('exit', (code) => reject(new Error(`server ${i} exited with ${code}: ${output}`)))
      })
      urls.push(url)
    }
  }, 90_000)
  afterAll(() => {
    for (const child of servers) child.kill('SIGTERM')
  })

  it('50 simultaneous requests spread over 3 processes end as one profile', async () => {
    const email = `multi-${Date.now()}@example.org`
    const cookies = Array.from({ length: 50 }, (_, i) => `multi-cookie-${i}-${Date.now()}`)
    const statuses = await Promise.all(cookies.map((cookie, i) => post(urls[i % urls.length] as string, t.keys.ingest, { cookie, email })))
    expect(statuses.every((s) => s === 200)).toBe(true)
    await expectOnePerson(email, cookies)
  })
})

describe('simultaneous batches (group commit on SQLite)', () => {
  it('each batch gets its own report: its accepted records, its duplicates, its errors by its own indexes', async () => {
    const shared = { cookie: 'gc-shared', interests: ['golf'] }
    const batches = Array.from({ length: 8 }, (_, b) => [
      { cookie: `gc-${b}-a`, email: `gc${b}@example.com` },
      { cookie: `gc-${b}-b` },
      ...(b % 2 === 0 ? [shared] : []),
      ...(b === 3 ? [{ email: 'no-cookie@example.com' }, { cookie: `gc-${b}-b` }] : []),
    ])
    const reports = await Promise.all(batches.map((records) => t.runtime.pipeline.ingest({ records: records.map((value, index) => ({ index, value })), source: 'gc', contentType: 'json' })))
    // The shared record is stored once: accepted by exactly one batch, a duplicate (not within its own batch) for the others.
    expect(reports.reduce((n, r) => n + r.accepted, 0)).toBe(8 * 2 + 1)
    expect(reports.filter((_, b) => b % 2 === 0).map((r) => r.duplicates).sort()).toEqual([0, 1, 1, 1])
    for (const r of reports) expect(r.duplicatesInBatch).toBe(r === reports[3] ? 1 : 0)
    expect(reports[3]?.errors).toEqual([expect.objectContaining({ record: 2, field: 'cookie' })])
    expect(reports[3]?.duplicates).toBe(1)
    for (const [b, r] of reports.entries()) {
      expect(r.profilesTouched).toBeGreaterThanOrEqual(2)
      expect(new Set(reports.map((x) => x.batchId)).size).toBe(8)
      expect((await t.user({ email: `gc${b}@example.com` })).body.user_profile.cookies).toEqual([`gc-${b}-a`])
    }
  })
})

describe('a batch larger than one transaction (the server caps transactions on SQLite)', () => {
  it('is written in parts and answered as one batch: one report, duplicates across parts found, errors by their own indexes', async () => {
    const small = await createTestApp({}, { transactionRecords: 10 })
    try {
      const records: unknown[] = Array.from({ length: 35 }, (_, i) => ({ cookie: `part-${i}`, interests: ['golf'] }))
      records[25] = records[3] // the same record in another part
      records[30] = { email: 'no-cookie@example.com' }
      const report = await small.runtime.pipeline.ingest({ records: records.map((value, index) => ({ index, value })), source: 'parts', contentType: 'json' })
      expect(report).toMatchObject({ processed: 35, accepted: 33, failed: 1, duplicates: 1, duplicatesInBatch: 1 })
      expect(report.errors).toEqual([expect.objectContaining({ record: 30, field: 'cookie' })])
      expect(await small.runtime.store.countProfiles()).toBe(33)
      // Sent again (a client retrying after a lost answer), nothing is stored twice.
      const again = await small.runtime.pipeline.ingest({ records: records.map((value, index) => ({ index, value })), source: 'parts', contentType: 'json' })
      // (The rejected record was stored too, in the raw store, so it is among the duplicates.)
      expect(again).toMatchObject({ accepted: 0, duplicates: 35 })
    } finally {
      await small.close()
    }
  })
})
