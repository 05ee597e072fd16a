// No personal data in logs (issue #20): the server as a real process (`cdp start`, logging at trace,
// below the default info), asked about a person by every identifier in query strings and bodies, then
// erasing them. Nothing it writes, on stdout or stderr, holds one of their identifiers; request lines
// keep the path with the values redacted; the first start's admin key goes to stderr only.
import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const stamp = Date.now().toString(36)
const person = {
  email: `Jane.Logged-${stamp}@Example.org`,
  cookies: [`c-logged-${stamp}`, `c-logged2-${stamp}`],
  userId: `u-logged-${stamp}`,
  phone: '+1 415-555-0177',
  phoneStored: '+14155550177',
}
const needles = [person.email, person.email.toLowerCase(), encodeURIComponent(person.email), encodeURIComponent(person.email.toLowerCase()), ...person.cookies, person.userId, person.phone, person.phoneStored, encodeURIComponent(person.phoneStored)]

let database: TestDatabase
let server: { child: ChildProcess; stdout: () => string; stderr: () => string; closed: Promise<void>; port: number }

beforeAll(async () => {
  // No CDP_ADMIN_KEY: the first start generates and prints one.
  database = await createTestDatabase()
  const env: Record<string, string | undefined> = { ...process.env, ...database.env, HOST: '127.0.0.1', PORT: '0', CDP_LOG_LEVEL: 'trace' }
  delete env.CDP_ADMIN_KEY
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // 'close': both pipes are drained, so nothing written before exit is missed.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const deadline = Date.now() + 60_000
  while (!/CDP listening on http:\/\/127\.0\.0\.1:\d+/.test(stdout)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start:\n${stdout}\n${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const port = Number(/CDP listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1])
  server = { child, stdout: () => stdout, stderr: () => stderr, closed, port }
}, 90_000)

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL')
    await server.closed
  }
  await database?.drop()
})

describe('logs', () => {
  it('hold no identifier of a person asked about and erased, and the first admin key only on stderr', async () => {
    // stderr is written before the "listening" line on stdout, but the two pipes are read apart.
    const deadline = Date.now() + 10_000
    while (!/\scdp_[A-Za-z0-9_-]{20,}\s/.test(server.stderr()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    const key = /\s(cdp_[A-Za-z0-9_-]{20,})\s/.exec(server.stderr())?.[1] as string
    expect(key, server.stderr()).toBeDefined()
    expect(server.stderr()).toContain('shown only this once')

    const base = `http://127.0.0.1:${server.port}`
    const call = async (method: string, path: string, body?: unknown) => {
      const authorization = `Bearer ${key}`
      const init: RequestInit =
        body === undefined ? { method, headers: { authorization } } : { method, headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }
      const response = await fetch(`${base}${path}`, init)
      return { status: response.status, text: await response.text() }
    }
    const [c1, c2] = person.cookies
    expect((await call('POST', '/api/ingest', [{ cookie: c1, email: person.email, phone: person.phone, interests: ['golf'] }])).status).toBe(200)
    // A record refused for its email: the pipeline's messages carry the value to the client, not to the log.
    expect((await call('POST', '/api/ingest', [{ cookie: c2, email: `${person.email}@` }])).status).toBe(200)
    const identify = { userId: person.userId, anonymousId: c2, traits: { email: person.email, phone: person.phone }, messageId: `m-${stamp}` }
    expect((await call('POST', '/v1/identify', identify)).status).toBeLessThan(300)
    const lower = encodeURIComponent(person.email.toLowerCase())
    const asked = [
      `/api/user?email=${encodeURIComponent(person.email)}`,
      `/api/user?cookie=${c1}&consent_history=1`,
      `/api/user?user_id=${person.userId}`,
      `/api/user?phone=${encodeURIComponent(person.phoneStored)}`,
      `/api/user/merges?email=${lower}`,
      `/api/user/export?email=${lower}`,
      `/api/events?email=${lower}&limit=5`,
    ]
    for (const path of asked) expect((await call('GET', path)).status, path).toBeLessThan(500)
    const erased = await call('DELETE', `/api/user?email=${lower}`)
    expect(erased.status, erased.text).toBe(200)
    expect((await call('GET', `/api/user?email=${lower}`)).status).toBe(404)
    expect((await call('DELETE', `/api/user?raw_value=${encodeURIComponent(`${person.email}@`)}`)).status).toBe(200)

    server.child.kill('SIGTERM')
    await server.closed
    const stdout = server.stdout()
    const everything = `${stdout}\n${server.stderr()}`
    for (const needle of needles) expect(everything.includes(needle), `"${needle}" is in the log:\n${everything}`).toBe(false)
    // Request lines keep the path and what is not personal.
    expect(stdout).toContain('"url":"/api/user?email=[redacted]"')
    expect(stdout).toContain('"url":"/api/user?cookie=[redacted]&consent_history=1"')
    expect(stdout).toContain('"url":"/api/events?email=[redacted]&limit=5"')
    expect(stdout).not.toContain('remoteAddress')
    // The key went to the terminal only, never into the JSON log lines on stdout.
    expect(stdout).not.toContain(key)
    const jsonLines = stdout.split('\n').filter((line) => line.startsWith('{'))
    expect(jsonLines.length).toBeGreaterThan(10)
    for (const line of jsonLines) expect(() => JSON.parse(line)).not.toThrow()
  }, 120_000)
})
