// Fuzzing every ingest endpoint over HTTP (app.inject): random JSON, random bytes, broken NDJSON
// lines, hostile CSV, lone surrogates, 1e309, huge integers and prototype keys. Whatever arrives,
// the answer is 2xx or a 4xx in the error envelope, the server keeps answering, a valid neighbour
// sent in the same batch is stored, and no prototype is polluted. Seeded: the same cases every run.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort()

beforeAll(async () => {
  t = await createTestApp()
})

afterAll(async () => {
  await t.close()
})

const KEYS = ['__proto__', 'constructor', 'prototype', 'cookie', 'email', 'age', 'timestamp', 'location', 'demographics', 'interests', 'type', 'anonymousId', 'userId', 'event', 'properties', 'traits', 'context', 'messageId', 'previousId', 'groupId', 'name', 'data', 'batch']

const SPECIAL_VALUES = [
  '1e309',
  '-1e309',
  '123456789012345678901234567890',
  '-0',
  '"\\ud800"',
  '"x\\udc00y"',
  '"\\u0000"',
  '"a\\u0000b"',
  '"null"',
  '""',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"prototype":{"polluted":1}}',
  `${'['.repeat(70)}${']'.repeat(70)}`,
  `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  '"2024-01-15T10:30:00Z"',
  '"bob@example.com"',
]

/** Any UTF-16 code unit, lone surrogates and NUL included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 })
const key = fc.oneof(fc.constantFrom(...KEYS), anyText)

/** JSON text (not values), so that it can hold what no JS value prints as: 1e309, 30-digit integers. */
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...SPECIAL_VALUES),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    anyText.map((s) => JSON.stringify(s)),
    fc.array(tie('json'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(key, tie('json')), { maxLength: 5 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
}))

/** An object whose keys are mostly ones the pipeline reads, with hostile values. */
const record = fc.array(fc.tuple(key, json), { minLength: 1, maxLength: 6 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`)
const element = fc.oneof({ weight: 3, arbitrary: record }, { weight: 1, arbitrary: json })
/** Text that is probably not JSON: a cut-off record, random characters. */
const brokenText = fc.oneof(record.chain((r) => fc.integer({ min: 0, max: r.length }).map((n) => r.slice(0, n))), anyText)
const randomBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes))

const csvCell = fc.oneof(
  anyText,
  fc.constantFrom('"', '""', '"quoted, with comma"', '"unclosed', 'a"b', '\u0000', '\ufeff', '\ufeffcookie', '\r', '\r\n', '1e309', '\ud800'),
  fc.constant('x'.repeat(200_000)),
)
const csvRow = fc.oneof(fc.array(csvCell, { maxLength: 5 }).map((cells) => cells.join(',')), fc.constant(Array.from({ length: 10_000 }, (_, i) => `v${i}`).join(',')))

type Target = { kind: 'ingest'; format: 'json' | 'ndjson' | 'csv' } | { kind: 'v1'; path: string }
interface Case {
  target: Target
  body: string | Buffer
  /** The cookie of a valid record sent in the same batch, when the case carries one. */
  neighbour: string | null
}

let counter = 0
const nextCookie = () => `fz-${++counter}`

const ingestJson = fc.oneof(
  fc.array(element, { maxLength: 4 }).map((items): Case => {
    const neighbour = nextCookie()
    return { target: { kind: 'ingest', format: 'json' }, body: `[{"cookie":"${neighbour}","plan":"ok"},${items.join(',') || 'null'}]`, neighbour }
  }),
  fc.oneof(json, brokenText, randomBytes).map((body): Case => ({ target: { kind: 'ingest', format: 'json' }, body, neighbour: null })),
)
const ingestNdjson = fc.array(fc.oneof(element, brokenText), { maxLength: 5 }).map((lines): Case => {
  const neighbour = nextCookie()
  return { target: { kind: 'ingest', format: 'ndjson' }, body: [`{"cookie":"${neighbour}"}`, ...lines].join('\n'), neighbour }
})
const ingestCsv = fc.oneof(
  fc.tuple(fc.boolean(), fc.array(csvRow, { maxLength: 4 })).map(([bom, rows]): Case => {
    const neighbour = nextCookie()
    return { target: { kind: 'ingest', format: 'csv' }, body: `${bom ? '\ufeff' : ''}cookie,plan\n${neighbour},ok\n${rows.join('\n')}`, neighbour }
  }),
  fc.oneof(fc.array(csvRow, { maxLength: 3 }).map((rows) => rows.join('\n')), randomBytes).map((body): Case => ({ target: { kind: 'ingest', format: 'csv' }, body, neighbour: null })),
)
const v1Batch = fc.oneof(
  fc.array(element, { maxLength: 4 }).map((items): Case => {
    const neighbour = nextCookie()
    const valid = `{"type":"identify","anonymousId":"${neighbour}","traits":{"plan":"ok"}}`
    return { target: { kind: 'v1', path: '/v1/batch' }, body: `{"batch":[${[valid, ...items].join(',')}]}`, neighbour }
  }),
  fc.oneof(json, brokenText, randomBytes).map((body): Case => ({ target: { kind: 'v1', path: '/v1/batch' }, body, neighbour: null })),
)
const v1Single = fc
  .tuple(fc.constantFrom('identify', 'track', 'page', 'screen', 'group', 'alias'), fc.oneof({ weight: 3, arbitrary: record }, json, brokenText, randomBytes))
  .map(([type, body]): Case => ({ target: { kind: 'v1', path: `/v1/${type}` }, body, neighbour: null }))

const CONTENT_TYPES = { json: 'application/json', ndjson: 'application/x-ndjson', csv: 'text/csv' } as const

async function send(c: Case) {
  const url = c.target.kind === 'ingest' ? '/api/ingest?source=fuzz' : c.target.path
  const contentType = c.target.kind === 'ingest' ? CONTENT_TYPES[c.target.format] : 'application/json'
  return await t.app.inject({ method: 'POST', url, headers: { ...t.auth('ingest'), 'content-type': contentType }, payload: c.body })
}

async function check(c: Case): Promise<void> {
  const started = Date.now()
  const response = await send(c)
  const tookMs = Date.now() - started
  const status = response.statusCode
  expect(status >= 200 && status < 300 ? 'ok' : status >= 400 && status < 500 ? 'ok' : `status ${status}: ${response.body.slice(0, 300)}`).toBe('ok')
  if (status >= 400) {
    const body = response.json() as { error?: { code?: unknown; message?: unknown; request_id?: unknown } }
    expect(Object.keys(body)).toEqual(['error'])
    expect(typeof body.error?.code).toBe('string')
    expect(typeof body.error?.message).toBe('string')
    expect(typeof body.error?.request_id).toBe('string')
  }
  // Generous: a hang, not a slow machine, is what this catches.
  expect(tookMs).toBeLessThan(10_000)
  if (status === 200 && c.neighbour !== null) {
    const user = await t.user({ cookie: c.neighbour })
    expect(user.status, `neighbour ${c.neighbour} of ${JSON.stringify(String(c.body).slice(0, 300))}`).toBe(200)
  }
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS)
  expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
}

const RUNS = 40

describe('fuzzing ingest over HTTP', () => {
  for (const [name, cases] of [
    ['POST /api/ingest (JSON)', ingestJson],
    ['POST /api/ingest (NDJSON)', ingestNdjson],
    ['POST /api/ingest (CSV)', ingestCsv],
    ['POST /v1/batch', v1Batch],
    ['POST /v1/{identify,track,page,screen,group,alias}', v1Single],
  ] as const) {
    it(`${name}: every answer is 2xx or an enveloped 4xx, neighbours are stored, nothing is polluted`, async () => {
      await fc.assert(fc.asyncProperty(cases as fc.Arbitrary<Case>, check), { numRuns: RUNS, seed: 20261201, endOnFailure: true })
    })
  }

  it('answers a CSV header of 10,000 columns and a row to match', async () => {
    const header = ['cookie', ...Array.from({ length: 9_999 }, (_, i) => `c${i}`)].join(',')
    const row = ['fz-wide', ...Array.from({ length: 9_999 }, (_, i) => `${i}`)].join(',')
    const response = await send({ target: { kind: 'ingest', format: 'csv' }, body: `${header}\n${row}\n`, neighbour: 'fz-wide' })
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200)
    expect((await t.user({ cookie: 'fz-wide' })).status).toBe(200)
  })
})
