// The cdp command line's small promises: a failed start leaves no key behind, `| head` is not an
// error, and `cdp classify` answers as the server does.
import { execFile, spawn } from 'node:child_process'
import net from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../../src/runtime.ts'
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
