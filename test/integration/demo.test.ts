// `cdp demo`: the seeded shop is the same for the same seed, its credentials and example calls work,
// its webhook delivers to the demo's receiver, and the built CLI seeds once, then starts without
// seeding, and starts over with --reset.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_ADMIN_KEY, DEMO_READ_KEY, type Demo, openDemo } from '../../src/cli/demo.ts'
import { DEMO_SEGMENTS, type Shop } from '../../src/cli/demo/shop.ts'
import { backend, createTestDatabase, type TestDatabase } from '../helpers/db.ts'
import { waitUntil } from '../helpers/activation.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BUILD = path.join(ROOT, `.dist-demo-test-${randomUUID().slice(0, 8)}`)
// A fixed end of the data's 30 days, so both seedings below see the same times.
const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000
const OPTIONS = { seed: 7, visitors: 300, now: NOW }
const DEMO_ENV = { CDP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }

const databases: TestDatabase[] = []
const demos: Demo[] = []

async function seeded(): Promise<Demo> {
  const database = await createTestDatabase(DEMO_ENV)
  databases.push(database)
  const demo = await openDemo(database.config, OPTIONS)
  demos.push(demo)
  return demo
}

async function get(demo: Demo, url: string, key = DEMO_READ_KEY): Promise<{ status: number; body: unknown }> {
  const response = await demo.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })
  return { status: response.statusCode, body: response.body ? response.json() : undefined }
}

/** What a seeding made, as the API shows it: cohort and segment sizes, and each signed-in person's cookies. */
async function snapshot(demo: Demo) {
  const cohorts = ((await get(demo, '/api/cohorts')).body as Array<{ name: string; members: number }>).map((c) => [c.name, c.members])
  const segments = ((await get(demo, '/api/segments')).body as Array<{ name: string; members: number }>).map((s) => [s.name, s.members])
  const people: Array<[string, string[]]> = []
  for (const person of (demo.shop as Shop).people) {
    const { body } = await get(demo, `/api/user?email=${encodeURIComponent(person.email)}`)
    people.push([person.email, [...(body as { user_profile: { cookies: string[] } }).user_profile.cookies].sort()])
  }
  const anonymous: string[] = []
  for (const cookie of (demo.shop as Shop).anonymous.slice(0, 30)) {
    const { body } = await get(demo, `/api/user?cookie=${encodeURIComponent(cookie)}`)
    anonymous.push(JSON.stringify((body as { user_profile: { interests: string[]; cohorts: string[] } }).user_profile.interests))
  }
  return { cohorts, segments, people, anonymous }
}

afterAll(async () => {
  for (const demo of demos) await demo.close()
  for (const database of databases) await database.drop()
})

describe(`the demo (${backend})`, () => {
  it('seeds the same shop twice for the same seed', async () => {
    const first = await seeded()
    const second = await seeded()
    expect(first.seededNow && second.seededNow).toBe(true)
    expect(second.shop).toEqual(first.shop)
    expect(second.state.messages).toBe(first.state.messages)
    const a = await snapshot(first)
    const b = await snapshot(second)
    expect(b).toEqual(a)
    // Believable, not empty: people signed in, some on two devices (merged), every segment has members.
    expect((first.shop as Shop).people.length).toBeGreaterThan(50)
    expect(a.people.some(([, cookies]) => cookies.length === 2)).toBe(true)
    expect(a.segments.map(([name]) => name).sort()).toEqual(DEMO_SEGMENTS.map((s) => s.name).sort())
    for (const [name, members] of a.segments) expect(members, `segment ${name}`).toBeGreaterThan(0)
  }, 120_000)

  it('gives a read-only key that reads and cannot write, and an admin key that can', async () => {
    const demo = demos[0] as Demo
    expect((await get(demo, '/api/segments')).status).toBe(200)
    const write = (key: string) =>
      demo.app.inject({ method: 'POST', url: '/api/ingest', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: { cookie: 'demo-key-check' } })
    expect((await write(DEMO_READ_KEY)).statusCode).toBe(403)
    expect((await write(DEMO_ADMIN_KEY)).statusCode).toBe(200)
  })

  it('answers every example call with 2xx', async () => {
    const demo = demos[0] as Demo
    expect(demo.examples.length).toBeGreaterThan(5)
    for (const call of demo.examples) {
      const response = await demo.app.inject({
        method: call.method,
        url: call.path,
        headers: { authorization: `Bearer ${call.key === 'read' ? DEMO_READ_KEY : DEMO_ADMIN_KEY}`, ...(call.body ? { 'content-type': 'application/json' } : {}) },
        ...(call.body ? { payload: JSON.stringify(call.body) } : {}),
      })
      expect(response.statusCode, `${call.method} ${call.path}: ${response.body.slice(0, 300)}`).toBeLessThan(300)
    }
    const merged = demo.state.samples.merged
    const { body } = await get(demo, `/api/user/merges?email=${encodeURIComponent(merged?.email ?? '')}`)
    expect((body as { merges: unknown[] }).merges.length).toBeGreaterThan(0)
  })

  it("delivers the webhook's changes to the demo's receiver", async () => {
    const demo = demos[0] as Demo
    await waitUntil(() => demo.receiver.stats().changes > 0, 'the receiver has a delivery', 30_000)
    expect(demo.receiver.stats().deliveries).toBeGreaterThan(0)
  })
})

const supported = process.platform === 'linux'

describe.skipIf(!supported)(`npm run demo, built (${backend})`, () => {
  let database: TestDatabase
  beforeAll(async () => {
    for (const name of fs.readdirSync(ROOT)) if (name.startsWith('.dist-demo-test-')) fs.rmSync(path.join(ROOT, name), { recursive: true, force: true })
    await run(process.execPath, ['scripts/build.mjs', path.basename(BUILD)], { cwd: ROOT })
    database = await createTestDatabase()
  }, 120_000)
  afterAll(async () => {
    fs.rmSync(BUILD, { recursive: true, force: true })
    await database?.drop()
  })

  async function startDemo(args: string[]): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
    // The demo picks its own data dir and webhook setting: only the database and the port are given.
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', CDP_DATA_DIR: database.config.dataDir }
    delete env.CDP_WEBHOOK_ALLOW_HOSTS
    if (database.env.DATABASE_URL) env.DATABASE_URL = database.env.DATABASE_URL
    const child = spawn(process.execPath, [path.join(BUILD, 'main.js'), 'demo', '--visitors', '200', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    return { child, output: () => output, exited }
  }

  async function stop(demo: { child: ChildProcess; exited: Promise<number | null> }): Promise<void> {
    demo.child.kill('SIGTERM')
    expect(await demo.exited).toBe(0)
  }

  it('seeds once, prints calls that work, starts again without seeding, and starts over with --reset', async () => {
    const first = await startDemo([])
    try {
      await waitUntil(() => first.output().includes('CDP demo listening on') || first.child.exitCode !== null, 'the demo listens', 60_000)
      const output = first.output()
      expect(output).toContain('Seeding the demo shop')
      expect(output).toContain(DEMO_READ_KEY)
      expect(output).toMatch(/Console: {3}http:\/\/127\.0\.0\.1:\d+\//)
      const curls = output.split('\n').filter((line) => line.startsWith('curl '))
      expect(curls.length).toBeGreaterThan(5)
      for (const curl of curls) {
        const { stdout } = await run('bash', ['-c', `${curl} -o /dev/null -w '%{http_code}'`])
        expect(Number(stdout), curl).toBeGreaterThanOrEqual(200)
        expect(Number(stdout), curl).toBeLessThan(300)
      }
      await waitUntil(() => first.output().includes('webhook receiver: a delivery'), 'a webhook delivery', 30_000)
    } finally {
      await stop(first)
    }

    const second = await startDemo([])
    try {
      await waitUntil(() => second.output().includes('CDP demo listening on') || second.child.exitCode !== null, 'the demo listens again', 60_000)
      expect(second.output()).not.toContain('Seeding the demo shop')
      expect(second.output()).toContain('seeded earlier')
    } finally {
      await stop(second)
    }

    const reset = await startDemo(['--reset'])
    if (backend === 'postgres') {
      // A PostgreSQL database is not the demo's to drop: --reset refuses and says what to do.
      expect(await reset.exited).toBe(2)
      expect(reset.output()).toContain('DATABASE_URL')
      return
    }
    try {
      await waitUntil(() => reset.output().includes('CDP demo listening on') || reset.child.exitCode !== null, 'the reset demo listens', 60_000)
      expect(reset.output()).toContain('Seeding the demo shop')
    } finally {
      await stop(reset)
    }
  }, 180_000)
})
