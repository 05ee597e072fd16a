// `kill -9` during sustained ingest loses nothing that was acknowledged: the real server runs as a
// child process, is killed mid-stream, and is started again on the same data; every record whose
// batch was answered 200 has its profile. On the embedded store and on a private PostgreSQL cluster.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY } from '../helpers/app.ts'
import { type Answer, sustainIngest, waitFor } from './helpers/load.ts'
import { type PostgresCluster, postgresClusterUnavailable, startPostgresCluster } from './helpers/postgres-cluster.ts'
import { type ServerProcess, startServer } from './helpers/server.ts'

const postgresSkipReason = postgresClusterUnavailable()
if (postgresSkipReason) console.warn(`kill-9 on PostgreSQL: skipped: ${postgresSkipReason}`)

const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }

async function post(server: ServerProcess, records: object[]): Promise<Answer> {
  try {
    const response = await fetch(`${server.url}/api/ingest`, { method: 'POST', headers, body: JSON.stringify(records), signal: AbortSignal.timeout(30_000) })
    return { status: response.status, body: await response.json() }
  } catch (error) {
    return { status: 'no answer', error }
  }
}

/** Cookies among `cookies` that have no profile on `server`. */
async function missingProfiles(server: ServerProcess, cookies: readonly string[]): Promise<string[]> {
  const missing: string[] = []
  const queue = [...cookies]
  const reader = async () => {
    for (let cookie = queue.pop(); cookie !== undefined; cookie = queue.pop()) {
      const response = await fetch(`${server.url}/api/user?cookie=${encodeURIComponent(cookie)}`, { headers })
      await response.body?.cancel()
      if (response.status !== 200) missing.push(cookie)
    }
  }
  await Promise.all(Array.from({ length: 8 }, reader))
  return missing
}

function killDuringIngest(backend: 'sqlite' | 'postgres', environment: () => Record<string, string>) {
  it(`keeps every acknowledged record on ${backend}`, async () => {
    const env = environment()
    let server = await startServer(env)
    try {
      const load = sustainIngest((records) => post(server, records), {
        workers: 4,
        recordsPerBatch: 20,
        prefix: `kill-${backend}`,
        // After the kill, requests in flight and those sent later get no answer.
        expected: (answer) => answer.status === 'no answer',
      })
      try {
        await waitFor('ingest to get going', () => load.acknowledged.length >= 400)
        await server.kill('SIGKILL')
      } finally {
        await load.stop()
      }
      expect(load.unexpected.slice(0, 5)).toEqual([])
      expect(load.count('no answer')).toBeGreaterThan(0)

      server = await startServer(env)
      expect(await missingProfiles(server, load.acknowledged)).toEqual([])
      // And the restarted server takes new records.
      const after = await post(server, [{ cookie: `kill-${backend}-after`, email: `kill-${backend}-after@example.com` }])
      expect(after.status).toBe(200)
    } catch (error) {
      console.error(`server output:\n${server.output()}`)
      throw error
    } finally {
      await server.kill('SIGTERM')
    }
  })
}

describe('kill -9 during sustained ingest', () => {
  const dirs: string[] = []
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-faults-kill-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  })

  describe('embedded SQLite', () => {
    killDuringIngest('sqlite', () => ({ CDP_DATA_DIR: dataDir(), CDP_ADMIN_KEY: ADMIN_KEY, CDP_LOG_LEVEL: 'warn' }))
  })

  describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL', () => {
    let cluster: PostgresCluster
    beforeAll(async () => {
      cluster = await startPostgresCluster()
    })
    afterAll(async () => {
      await cluster?.destroy()
    })
    killDuringIngest('postgres', () => ({ DATABASE_URL: cluster.url, CDP_DATA_DIR: dataDir(), CDP_ADMIN_KEY: ADMIN_KEY, CDP_LOG_LEVEL: 'warn' }))
  })
})
