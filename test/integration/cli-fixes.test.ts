// The cdp command line's small promises: a failed start leaves no key behind, `| head` is not an
// error, and `cdp classify` answers as the server does.
import { execFile, spawn } from 'node:child_process'
import net from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { canonicalJson, contentHash } from '../../src/pipeline/prepare/raw-record.ts'
import { openRuntime } from '../../src/compose.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => database.drop())

async function cdp(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { ...process.env, ...database.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
}

async function countKeys(): Promise<number> {
  const runtime = await openRuntime(database.config)
  try {
    return await runtime.store.countApiKeys()
  } finally {
    await runtime.close()
  }
}

describe('cdp start', () => {
  it('creates no bootstrap key when start-up fails (the next start then prints one)', async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const failed = await cdp(['start'], { PORT: String(port), HOST: '127.0.0.1', CDP_LOG_LEVEL: 'warn' }).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      )
      expect(failed.code).not.toBe(0)
      expect(failed.stdout).not.toContain('cdp_')
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
    expect(await countKeys()).toBe(0)
  })
})

describe('cdp classify', () => {
  it('stops quietly when the reader of its output goes away (cdp … | head)', async () => {
    const input = `${Array.from({ length: 30_000 }, (_, i) => `golf and tennis ${i}`).join('\n')}\n`
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'classify'], { env: { ...process.env, ...database.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdin.on('error', () => undefined) // the child may exit before it read everything
    child.stdin.end(input)
    // Like `head -1`: read the first chunk, then close the pipe while the command is still writing.
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(stderr).not.toContain('EPIPE')
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it("uses the store's custom cohorts and corrections, as the server does", async () => {
    const runtime = await openRuntime(database.config)
    let expected: string[]
    try {
      await runtime.cohorts.addCohort({
        name: 'Pets',
        description: 'People who live with animals: dogs, cats, fish and birds, and their care.',
        terms: ['dog food', 'cat toys', 'puppy training', 'veterinarian', 'aquarium', 'dog grooming', 'kitten adoption', 'bird cage', 'pet insurance', 'dog walking'],
        examples: ['labrador', 'golden retriever', 'siamese cat'],
      })
      await runtime.cohorts.addCorrection({ interest: 'Blockchain Gaming', cohorts: ['Gaming'] })
      const texts = ['dog food', 'blockchain gaming', 'tom brady']
      expected = texts.map((text) => JSON.stringify({ text, cohorts: runtime.cohorts.classifier.classify(text).map((c) => ({ name: c.cohort, score: c.score })) }))
      await runtime.cohorts.settle()
    } finally {
      await runtime.close()
    }
    const { stdout } = await cdp(['classify', 'dog food', 'blockchain gaming', 'tom brady'])
    const lines = stdout.trim().split('\n')
    expect(lines).toEqual(expected)
    expect((JSON.parse(lines[0] as string) as { cohorts: Array<{ name: string }> }).cohorts[0]?.name).toBe('Pets')
    expect((JSON.parse(lines[1] as string) as { cohorts: Array<{ name: string }> }).cohorts.map((c) => c.name)).toEqual(['Gaming'])
  })
})

describe('cdp replay with a fix', () => {
  it('stores corrected copies, marks the originals superseded, and never replays them again', async () => {
    const source = 'crm-fix'
    const originals = [
      { payload: { visitor: 'fix-1', email: 'fixed-1@example.org', Zip: '75001' }, reason: 'missing_cookie' },
      { payload: { cookie: 'fix-2', email: 'fixed-2@example' }, reason: 'invalid_email' },
      { payload: { cookie: 'fix-3', email: 'other@example' }, reason: 'invalid_email' },
    ]
    const runtime = await openRuntime(database.config)
    let ids: number[]
    try {
      const inserted = await runtime.store.ingestTransaction((tx) =>
        tx.insertRawRecords(
          originals.map(({ payload, reason }, i) => ({
            batchId: 'bat_crm',
            receivedAt: Date.now(),
            source,
            contentType: 'csv',
            recordIndex: i + 1,
            payload: JSON.stringify(payload),
            contentHash: contentHash(source, canonicalJson(payload)),
            status: 'rejected' as const,
            errors: [{ field: reason === 'missing_cookie' ? 'cookie' : 'email', reason: reason as 'invalid_email', message: 'rejected' }],
            cookie: null,
            email: null,
            observedAt: null,
          })),
        ),
      )
      ids = originals.map(({ payload }) => inserted.get(contentHash(source, canonicalJson(payload))) as number)
    } finally {
      await runtime.close()
    }

    // By reason, with mappings: only the record without a cookie is taken.
    const mapped = await cdp(['replay', '--source', source, '--reason', 'missing_cookie', '--map', 'visitor=cookie', '--map', 'Zip=location.zip'])
    expect(mapped.stdout).toContain('replayed 1 rejected records: 1 accepted now, 0 still rejected')
    expect(mapped.stdout).toContain('1 stored as corrected copies')

    // By id, with a JSON Patch whose test guards it: it applies to one record, not the other.
    const patchFile = path.join(database.config.dataDir, 'fix.json')
    fs.writeFileSync(patchFile, JSON.stringify([{ op: 'test', path: '/email', value: 'fixed-2@example' }, { op: 'replace', path: '/email', value: 'fixed-2@example.org' }]))
    const patched = await cdp(['replay', '--id', `${ids[1]},${ids[2]}`, '--patch', patchFile])
    expect(patched.stdout).toContain('replayed 1 rejected records: 1 accepted now, 0 still rejected')
    expect(patched.stdout).toContain('1 left as they were: the fix did not apply')
    expect(patched.stdout).toContain('test: /email is "other@example"')

    const after = await openRuntime(database.config)
    try {
      const first = await after.store.findProfileId('email', 'fixed-1@example.org')
      expect((await after.store.loadProfileView(first as string))?.cookies.map((c) => c.cookie)).toEqual(['fix-1'])
      expect(await after.store.findProfileId('email', 'fixed-2@example.org')).toBeDefined()
      const superseded = await after.store.listRawRecords({ status: 'superseded', source, limit: 10, afterId: undefined })
      expect(superseded.map((r) => r.id)).toEqual([ids[0], ids[1]])
      // The originals stay exactly as received, and point at their corrected copies.
      expect(superseded.map((r) => JSON.parse(r.payload) as unknown)).toEqual([originals[0]?.payload, originals[1]?.payload])
      const copies = await after.store.listRawRecords({ status: undefined, ids: superseded.map((r) => r.supersededBy as number), limit: 10, afterId: undefined })
      expect(copies.map((r) => [r.status, JSON.parse(r.payload) as unknown])).toEqual([
        ['accepted', { cookie: 'fix-1', email: 'fixed-1@example.org', location: { zip: '75001' } }],
        ['accepted', { cookie: 'fix-2', email: 'fixed-2@example.org' }],
      ])
      const rejected = await after.store.listRawRecords({ status: 'rejected', source, limit: 10, afterId: undefined })
      expect(rejected.map((r) => r.id)).toEqual([ids[2]])
    } finally {
      await after.close()
    }

    // A later replay of everything rejected takes only the one still rejected, never a superseded original.
    const plain = await cdp(['replay', '--source', source])
    expect(plain.stdout).toContain('replayed 1 rejected records: 0 accepted now, 1 still rejected')
  })

  it('leaves a record nested too deep for a fix as it was, and says why', async () => {
    const source = 'deep-fix'
    const text = `{"visitor":"deep-fix-1","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    const runtime = await openRuntime(database.config)
    try {
      await runtime.store.ingestTransaction((tx) =>
        tx.insertRawRecords([
          {
            batchId: 'bat_deep',
            receivedAt: Date.now(),
            source,
            contentType: 'json',
            recordIndex: 0,
            payload: text,
            contentHash: contentHash(source, text),
            status: 'rejected' as const,
            errors: [{ field: 'x[0][0][0][0][0][0]…', reason: 'too_deep', message: 'rejected' }],
            cookie: null,
            email: null,
            observedAt: null,
          },
        ]),
      )
    } finally {
      await runtime.close()
    }
    const fixed = await cdp(['replay', '--source', source, '--map', 'visitor=cookie'])
    expect(fixed.stdout).toContain('1 left as they were: the fix did not apply')
    expect(fixed.stdout).toContain('nested deeper than 64 levels at the record')
  })

  it('explains a bad mapping or patch', async () => {
    await expect(cdp(['replay', '--map', 'email'])).rejects.toMatchObject({ stderr: expect.stringContaining('write FROM=TO') })
    const patchFile = path.join(database.config.dataDir, 'bad-fix.json')
    fs.writeFileSync(patchFile, JSON.stringify([{ op: 'rename', path: '/a' }]))
    await expect(cdp(['replay', '--patch', patchFile])).rejects.toMatchObject({ stderr: expect.stringContaining('use add, remove, replace, move, copy or test') })
  })
})
