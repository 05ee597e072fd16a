// Large ingest batches are prepared in worker threads (src/pipeline/prepare/pool.ts); small ones on
// the main thread. Both give the same answers and rows, and a worker that dies fails its request
// with a 500 instead of losing it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIN_WORKER_BODY_CHARS, MIN_WORKER_RECORDS } from '../../src/pipeline/run.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const DYING_WORKER = new URL('../helpers/dying-prepare-worker.ts', import.meta.url)

function ndjson(count: number, prefix: string, extra: Record<string, unknown> = {}): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ cookie: `${prefix}-${i}`, email: `${prefix}-${i}@example.org`, location: { city: 'Lyon', country: 'France' }, ...extra })).join('\n')
}

async function post(t: TestApp, url: string, payload: string, contentType: string) {
  const response = await t.app.inject({ method: 'POST', url, headers: { ...t.auth('ingest'), 'content-type': contentType }, payload })
  return { status: response.statusCode, body: response.json() as Record<string, unknown> }
}

describe('prepare workers and the main thread', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp({ CDP_INGEST_WORKERS: '1' }, { prepareWorkerEntry: DYING_WORKER })
  })
  afterAll(async () => t.close())

  it('prepares a small body on the main thread: the worker never sees it', async () => {
    const body = ndjson(3, 'small', { note: 'DIE' })
    expect(body.length).toBeLessThan(MIN_WORKER_BODY_CHARS)
    const { status, body: answer } = await post(t, '/api/ingest', body, 'application/x-ndjson')
    expect(status).toBe(200)
    expect(answer).toMatchObject({ status: 'success', records_processed: 3 })
  })

  it('answers 500 when the worker preparing a large body dies, stores nothing of it, and the next large body goes through', async () => {
    const before = await t.runtime.store.countProfiles()
    const dying = ndjson(100, 'lost', { note: 'DIE' })
    expect(dying.length).toBeGreaterThanOrEqual(MIN_WORKER_BODY_CHARS)
    const failed = await post(t, '/api/ingest', dying, 'application/x-ndjson')
    expect(failed.status).toBe(500)
    expect(failed.body).toMatchObject({ error: { code: 'internal' } })
    expect(await t.runtime.store.countProfiles()).toBe(before)
    const next = await post(t, '/api/ingest', ndjson(100, 'kept'), 'application/x-ndjson')
    expect(next).toMatchObject({ status: 200, body: { status: 'success', records_processed: 100 } })
    expect(await t.runtime.store.countProfiles()).toBe(before + 100)
  })

  it('sends a /v1/batch to a worker from MIN_WORKER_RECORDS messages on', async () => {
    const batch = (count: number, prefix: string) =>
      JSON.stringify({ batch: Array.from({ length: count }, (_, i) => ({ type: 'identify', messageId: `${prefix}-${i}`, anonymousId: `${prefix}-${i}`, traits: { note: 'DIE' } })) })
    expect((await post(t, '/v1/batch', batch(MIN_WORKER_RECORDS - 1, 'few'), 'application/json')).status).toBe(200)
    expect((await post(t, '/v1/batch', batch(MIN_WORKER_RECORDS, 'many'), 'application/json')).status).toBe(500)
  })
})

describe('the same batch with and without workers', () => {
  let withWorkers: TestApp
  let mainOnly: TestApp
  beforeAll(async () => {
    withWorkers = await createTestApp({ CDP_INGEST_WORKERS: '1' })
    mainOnly = await createTestApp({ CDP_INGEST_WORKERS: '0' })
  })
  afterAll(async () => {
    await withWorkers.close()
    await mainOnly.close()
  })

  // Accepted, rejected, warned, unparseable, a duplicate within the body: every outcome a report counts.
  const mixed = [
    ndjson(100, 'mix'),
    JSON.stringify({ cookie: 'bad-email', email: 'bob@' }),
    JSON.stringify({ email: 'no-cookie@example.org' }),
    JSON.stringify({ cookie: 'warned', email: 'test@example.com', age: 'unknown' }),
    '{"cookie": "broken"',
    JSON.stringify({ cookie: 'mix-0', email: 'mix-0@example.org', location: { city: 'Lyon', country: 'France' } }),
  ].join('\n')
  const csv = `cookie,email,age\n${Array.from({ length: 300 }, (_, i) => `csv-${i},${i % 7 === 0 ? 'nope' : `csv-${i}@example.org`},${i % 11 === 0 ? '-3' : '40'}`).join('\n')}\n`

  it.each([
    ['an NDJSON body', mixed, 'application/x-ndjson'],
    ['a CSV body', csv, 'text/csv'],
    ['a body that is not JSON', `[${ndjson(100, 'x').replaceAll('\n', ',')},`, 'application/json'],
  ])('answers %s and stores its rows alike', async (_name, payload, contentType) => {
    expect(payload.length).toBeGreaterThanOrEqual(MIN_WORKER_BODY_CHARS)
    const [a, b] = await Promise.all([post(withWorkers, '/api/ingest?source=same', payload, contentType), post(mainOnly, '/api/ingest?source=same', payload, contentType)])
    // Batch and request ids are fresh for every request; everything else must match.
    const comparable = (body: Record<string, unknown>) => JSON.stringify(body).replace(/"(bat|req)_\w+"/g, '"id"')
    expect(a.status).toBe(b.status)
    expect(comparable(a.body)).toEqual(comparable(b.body))
    const rows = async (t: TestApp) =>
      (await t.runtime.store.listRawRecords({ status: undefined, limit: 1000, afterId: undefined, source: 'same' })).map((r) => ({
        recordIndex: r.recordIndex,
        status: r.status,
        payload: r.payload,
        contentHash: r.contentHash,
        errors: r.errors,
        cookie: r.cookie,
        email: r.email,
      }))
    expect(await rows(withWorkers)).toEqual(await rows(mainOnly))
  })
})
