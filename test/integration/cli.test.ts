// The cdp command line as a user runs it: first start, keys, replay.
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appDependencies, buildApp } from '../../src/api/app.ts'
import { contentHash } from '../../src/pipeline/prepare/raw-record.ts'
import { openRuntime } from '../../src/compose.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => database.drop())

async function cdp(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { ...process.env, ...database.env } })
}

/** Starts the server, returns what it printed up to "listening", then stops it. */
async function startOnce(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    env: { ...process.env, ...database.env, PORT: '0', CDP_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 30_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  })
  // 'close', not 'exit': the first key goes to stderr, which is read apart from stdout; both pipes drained.
  const closed = new Promise((resolve) => child.once('close', resolve))
  child.kill('SIGTERM')
  await closed
  return output
}

describe('cdp', () => {
  it('prints a generated admin key on the first start only, and keys create prints a working scoped key', async () => {
    const first = await startOnce()
    const generated = /\s(cdp_[A-Za-z0-9_-]{20,})\s/.exec(first)?.[1]
    expect(generated).toBeDefined()
    const second = await startOnce()
    expect(second).not.toContain('cdp_')

    const { stdout } = await cdp('keys', 'create', '--scopes', 'read', '--name', 'dashboard')
    const readKey = stdout.trim()
    expect(readKey).toMatch(/^cdp_/)
    const runtime = await openRuntime(database.config)
    const app = await buildApp(appDependencies(runtime))
    try {
      const read = await app.inject({ method: 'GET', url: '/api/cohorts', headers: { authorization: `Bearer ${readKey}` } })
      expect(read.statusCode).toBe(200)
      const ingest = await app.inject({ method: 'POST', url: '/api/ingest', headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' }, payload: '{"cookie":"x"}' })
      expect(ingest.statusCode).toBe(403)
      const admin = await app.inject({ method: 'GET', url: '/api/keys', headers: { authorization: `Bearer ${generated}` } })
      expect(admin.json().map((k: { name: string }) => k.name)).toContain('dashboard')
    } finally {
      await app.close()
      await runtime.close()
    }
    await expect(cdp('keys', 'create', '--scopes', 'read,superuser')).rejects.toMatchObject({ stderr: expect.stringContaining('scopes must be') })
  })

  it('replays rejected records that the current rules accept, and leaves the others rejected', async () => {
    const runtime = await openRuntime(database.config)
    try {
      // Records an earlier version of the rules rejected: one is valid today, one still is not.
      const now = Date.now()
      const rows = [
        { cookie: 'replay-1', email: 'replayed@example.org', interests: ['golf'] },
        { email: 'still-no-cookie@example.org' },
      ].map((payload, i) => ({
        batchId: 'bat_old',
        receivedAt: now,
        source: 'legacy',
        contentType: 'json',
        recordIndex: i,
        payload: JSON.stringify(payload),
        contentHash: contentHash('legacy', JSON.stringify(payload)),
        status: 'rejected' as const,
        errors: [{ field: 'email', reason: 'invalid_email' as const, message: 'rejected by an older rule' }],
        cookie: null,
        email: null,
        observedAt: null,
      }))
      await runtime.store.ingestTransaction((tx) => tx.insertRawRecords(rows))
    } finally {
      await runtime.close()
    }

    const { stdout } = await cdp('replay', '--source', 'legacy')
    expect(stdout).toContain('replayed 2 rejected records: 1 accepted now, 1 still rejected')

    const after = await openRuntime(database.config)
    try {
      const id = await after.store.findProfileId('email', 'replayed@example.org')
      expect(id).toBeDefined()
      const view = await after.store.loadProfileView(id as string)
      expect(view?.memberships.map((m) => m.name)).toContain('Sports')
      const rejected = await after.store.listRawRecords({ status: 'rejected', source: 'legacy', limit: 10, afterId: undefined })
      expect(rejected.map((r) => JSON.parse(r.payload))).toEqual([{ email: 'still-no-cookie@example.org' }])
    } finally {
      await after.close()
    }
  })

  it('classifies interests from arguments and from stdin, one JSON line each, in order', async () => {
    const args = await cdp('classify', 'Tom Brady', 'asdfgh')
    expect(args.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { text: 'Tom Brady', cohorts: [expect.objectContaining({ name: 'Sports' })] },
      { text: 'asdfgh', cohorts: [] },
    ])
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'classify'], { env: { ...process.env, ...database.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stdin.end('nike shoes\ntuesday\ncrcket\n')
    await new Promise((resolve) => child.once('exit', resolve))
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { text: string; cohorts: Array<{ name: string }> })
    expect(lines.map((l) => [l.text, l.cohorts.map((c) => c.name)])).toEqual([
      ['nike shoes', ['Fashion', 'Sports']],
      ['tuesday', []],
      ['crcket', ['Sports']],
    ])
  })

  it('lists, previews and exports segments, and reclassifies profiles', async () => {
    const runtime = await openRuntime(database.config, { background: true })
    let id: string
    try {
      await runtime.pipeline.ingest({ records: [{ index: 0, value: { cookie: 'seg-cli-1', demographics: { age: 41 } } }], source: 'test', contentType: 'json' })
      id = (await runtime.segments.create({ name: 'Forty plus', conditions: { field: 'age', op: 'gte', value: 40 } })).id
      await runtime.segments.idle()
    } finally {
      await runtime.close()
    }
    const list = await cdp('segments', 'list')
    expect(list.stdout).toMatch(/Forty plus\s+v1\s+1\s+ready/)
    const preview = await cdp('segments', 'preview', '{"field": "age", "op": "gt", "value": 40}')
    expect(preview.stdout).toContain('1 profiles match')
    const csv = await cdp('segments', 'export', 'forty plus', '--format', 'csv')
    expect(csv.stdout.split('\n')[0]).toBe('profile_id,email,cookie,entered_at')
    expect(csv.stdout).toContain(',seg-cli-1,')
    const show = await cdp('segments', 'show', id)
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'Forty plus', version: 1, members: 1 })
    const bad = cdp('segments', 'preview', '{"field": "age", "op": "gte ", "value": 40}')
    await expect(bad).rejects.toMatchObject({ stderr: expect.stringContaining('conditions.op: unknown operator "gte "') })
    const reclassified = await cdp('reclassify', '--quiet')
    expect(reclassified.stdout).toMatch(/^reclassified \d+ profiles: 0 cohort memberships changed/)
  })

  it('explains a bad command or file', async () => {
    await expect(cdp('import', '/nonexistent/file.csv')).rejects.toMatchObject({ stderr: expect.stringContaining('no such file') })
    await expect(cdp('import', 'README.md')).rejects.toMatchObject({ stderr: expect.stringContaining('--format') })
  })
})
