// A PostgreSQL outage under sustained ingest: a private cluster is stopped for a few seconds and
// started again. Requests during the outage answer 503 `unavailable` in the error envelope (no crash,
// no hang), ingest resumes by itself, and every record that was answered 200 is stored.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { ADMIN_KEY, openTestApp, type TestApp } from '../helpers/app.ts'
import { type Answer, sleep, sustainIngest, waitFor } from './helpers/load.ts'
import { type PostgresCluster, postgresClusterUnavailable, startPostgresCluster } from './helpers/postgres-cluster.ts'

const skipReason = postgresClusterUnavailable()
if (skipReason) console.warn(`postgres-outage: skipped: ${skipReason}`)

function isUnavailable(answer: Answer): boolean {
  const body = answer.status === 503 ? (answer.body as { error?: { code?: string; message?: string; request_id?: string } }) : undefined
  return body?.error?.code === 'unavailable' && typeof body.error.message === 'string' && typeof body.error.request_id === 'string'
}

describe.skipIf(skipReason !== undefined)('a PostgreSQL outage under load', () => {
  let cluster: PostgresCluster
  let t: TestApp
  const logged: string[] = []

  beforeAll(async () => {
    cluster = await startPostgresCluster()
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-faults-'))
    const env = { DATABASE_URL: cluster.url, CDP_DATA_DIR: dataDir, CDP_ADMIN_KEY: ADMIN_KEY, CDP_LOG_LEVEL: 'silent' }
    const database = { config: loadConfig(env), env, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) }
    // background: the webhook dispatcher, the segment scheduler and backfills run, as in the server.
    t = await openTestApp(database, { background: true, schedulerIntervalMs: 200, log: (message) => logged.push(message) })
  })

  afterAll(async () => {
    await t?.close()
    await cluster?.destroy()
  })

  it('answers 503 during the outage, stays up, and resumes by itself with every acknowledged record stored', async () => {
    const load = sustainIngest(
      async (records) => {
        const response = await t.app.inject({
          method: 'POST',
          url: '/api/ingest',
          headers: { ...t.auth('ingest'), 'content-type': 'application/json' },
          payload: JSON.stringify(records),
        })
        return { status: response.statusCode, body: response.json() }
      },
      { workers: 4, recordsPerBatch: 20, prefix: 'outage', expected: isUnavailable },
    )
    try {
      await waitFor('ingest to get going', () => load.acknowledged.length >= 200)
      await cluster.stop()
      const unavailableBefore = load.count(503)
      await waitFor('requests during the outage to answer 503', () => load.count(503) >= unavailableBefore + 20)
      // An outage of a few seconds: the background loops (webhook sweeps, the scheduler) fail a few rounds too.
      await sleep(3_000)

      // Reads fail the same way while the database is down.
      const read = await t.app.inject({ method: 'GET', url: '/api/user', query: { cookie: load.acknowledged[0] as string }, headers: t.auth('read') })
      expect(read.statusCode).toBe(503)
      expect(isUnavailable({ status: read.statusCode, body: read.json() })).toBe(true)

      await cluster.start()
      const acknowledgedBefore = load.acknowledged.length
      await waitFor('ingest to resume after the restart', () => load.acknowledged.length >= acknowledgedBefore + 200, 60_000)
    } finally {
      await load.stop()
    }
    expect(load.unexpected.slice(0, 5)).toEqual([])

    // Every acknowledged record made its profile.
    const missing: string[] = []
    for (const cookie of load.acknowledged) {
      const { status } = await t.user({ cookie })
      if (status !== 200) missing.push(cookie)
    }
    expect(missing).toEqual([])

    // Background work goes on too: a segment created now is backfilled.
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/segments',
      headers: t.auth('admin'),
      payload: { name: 'after the outage', conditions: { field: 'age', op: 'gte', value: 20 } },
    })
    expect(created.statusCode).toBe(201)
    const id = (created.json() as { id: string }).id
    await waitFor('the new segment to be backfilled', async () => {
      const segment = await t.app.inject({ method: 'GET', url: `/api/segments/${id}`, headers: t.auth('read') })
      return (segment.json() as { state?: string }).state === 'ready'
    })
  })
})
