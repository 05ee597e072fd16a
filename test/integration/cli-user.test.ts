// `cdp user merges|unmerge|merge|allow` as a user runs them, over a database seeded through the pipeline.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../../src/compose.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
  const runtime = await openRuntime(database.config)
  try {
    const ingest = (records: unknown[]) => runtime.pipeline.ingest({ source: 'api', contentType: 'application/json', records: records.map((value, index) => ({ index, value })) })
    await ingest([{ cookie: 'cli-anon', interests: ['golf'], timestamp: '2024-01-01T10:00:00Z' }])
    await ingest([{ cookie: 'cli-b', email: 'bea@example.org', timestamp: '2024-01-01T10:01:00Z' }])
    await ingest([{ cookie: 'cli-anon', email: 'bea@example.org', timestamp: '2024-01-01T10:02:00Z' }])
    await ingest([{ cookie: 'cli-c', email: 'cal@example.org', timestamp: '2024-01-01T10:03:00Z' }])
    await ingest([{ cookie: 'cli-d', email: 'dot@example.org', identifiers: { device_id: 'cli-device' }, timestamp: '2024-01-01T10:04:00Z' }])
  } finally {
    await runtime.close()
  }
})
afterAll(async () => database.drop())

async function cdp(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { ...process.env, ...database.env } })
}

describe('cdp user', () => {
  it('lists merges, unmerges one, and merges two people by hand', async () => {
    const history = await cdp('user', 'merges', '--email', 'bea@example.org', '--json')
    const entries = JSON.parse(history.stdout).merges as Array<{ id: number; reason: string; raw: { id: number } | null }>
    const match = entries.find((m) => m.reason === 'email_match')
    expect(match?.raw?.id).toEqual(expect.any(Number))
    const table = await cdp('user', 'merges', '--cookie', 'cli-anon')
    expect(table.stdout).toMatch(/ID\s+AT\s+REASON/)
    expect(table.stdout).toContain('email_match')

    const unmerge = await cdp('user', 'unmerge', '--merge-id', String(match?.id))
    expect(unmerge.stdout).toContain('refused from now on: cli-anon + bea@example.org')
    const after = await cdp('user', 'merges', '--email', 'bea@example.org')
    expect(after.stdout).toContain('unmerged')

    const merged = await cdp('user', 'merge', '--from-email', 'cal@example.org', '--into-email', 'bea@example.org')
    expect(merged.stdout).toMatch(/merged \(entry \d+\) into prof_\S+\s+bea@example.org/)
    const log = await cdp('user', 'merges', '--email', 'cal@example.org')
    expect(log.stdout).toContain('manual')
    expect(log.stdout).toContain('"by":"cli"')

    await expect(cdp('user', 'unmerge')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--merge-id') })
    const allow = await cdp('user', 'allow', '--cookie', 'cli-anon', '--email', 'bea@example.org')
    expect(allow.stdout).toContain('may link again')
  }, 60_000)

  it('names a person by an identifier of any kind: merges, export and erasure', async () => {
    const merges = await cdp('user', 'merges', '--identifier', 'device_id:cli-device', '--json')
    const profileId = JSON.parse(merges.stdout).profile_id as string
    expect(profileId).toMatch(/^prof_/)
    const exported = JSON.parse((await cdp('privacy', 'export', '--identifier', 'device_id:cli-device')).stdout)
    expect(exported.profile_id).toBe(profileId)
    const erased = JSON.parse((await cdp('privacy', 'erase', '--identifier', 'device_id:cli-device')).stdout)
    expect(erased.status).toBe('finished')
    await expect(cdp('privacy', 'export', '--email', 'dot@example.org')).rejects.toMatchObject({ stderr: expect.stringContaining('dot@example.org') })
    await expect(cdp('privacy', 'export', '--identifier', 'device_id:cli-device')).rejects.toMatchObject({ stderr: expect.stringContaining('no user with device_id') })
  }, 60_000)
})
