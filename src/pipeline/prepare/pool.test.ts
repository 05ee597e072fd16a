import { afterEach, describe, expect, it } from 'vitest'
import { parseBody } from '../../collect/body.ts'
import { DEFAULT_EMAIL_BLOCKLIST } from '../validate/index.ts'
import { createPreparePool, type PreparePool } from './pool.ts'
import { createPrepareTasks, type PrepareSettings, type PrepareTask, toWireRecords } from './tasks.ts'

const settings: PrepareSettings = {
  validate: { emailBlocklist: new Set([...DEFAULT_EMAIL_BLOCKLIST, 'blocked@example.org']), defaultPhoneCountry: 'FR', consentPurposes: ['analytics', 'marketing'] },
  qualityPolicies: { default: 'reject', bySource: { lenient: 'drop_field' } },
  interestProperties: undefined,
}
const runHere = createPrepareTasks(settings)
const batch = { source: 'api', contentType: 'ndjson', batchId: 'bat_test', receivedAt: Date.parse('2026-03-01T10:00:00Z') }
const DYING_WORKER = new URL('../../../test/helpers/dying-prepare-worker.ts', import.meta.url)

function deep(levels: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

// Accepted, rejected (bad email, no cookie, bad age), blocked, unparseable, too deep, a blank line.
const ndjson = [
  { cookie: 'c1', email: 'Ann@Example.org', phone: '06 12 34 56 78', location: { city: 'Paris', country: 'France' }, interests: ['Golf', 'golf '], timestamp: '2026-02-01T00:00:00Z' },
  { cookie: 'c2', email: 'bob@' },
  { email: 'nocookie@example.org' },
  { cookie: 'c3', demographics: { age: 'old', gender: 'F' }, consent: { marketing: true } },
  { cookie: 'c4', email: 'blocked@example.org', shoe_size: 42 },
  deep(80),
]
  .map((r) => JSON.stringify(r))
  .concat(['{"cookie": "c5", broken', '', '{"cookie":"c6","E-mail Address":"six@example.org"}'])
  .join('\n')

const tasks: Array<[string, PrepareTask]> = [
  ['an NDJSON body with rejected and unparseable lines', { kind: 'body', text: ndjson, format: 'ndjson', batch }],
  ['the same body under drop_field', { kind: 'body', text: ndjson, format: 'ndjson', batch: { ...batch, source: 'lenient' } }],
  ['a CSV body', { kind: 'body', text: 'cookie,email,age\nk1,k1@example.org,30\nk2,not-an-email,30\nk3,,-4\n', format: 'csv', batch: { ...batch, contentType: 'csv' } }],
  ['a JSON body that is not JSON', { kind: 'body', text: '[{"cookie": "x"},', format: 'json', batch }],
  ['a CSV body with a bad header', { kind: 'body', text: 'cookie,cookie\na,b\n', format: 'csv', batch }],
  ['parsed records with an unparseable one', { kind: 'records', records: toWireRecords(parseOk(ndjson)), batch }],
  [
    'Segment-spec messages',
    {
      kind: 'messages',
      messages: [
        { type: 'identify', messageId: 'm1', anonymousId: 'a1', traits: { email: 'm1@example.org' }, timestamp: '2026-02-01T00:00:00Z' },
        { type: 'track', messageId: 'm2', anonymousId: 'a1', event: 'Viewed', properties: { category: 'Golf' } },
        { type: 'identify', messageId: 'm3', traits: { email: 'x' } },
        { type: 'track', messageId: 'm4', userId: 'u1', event: 'Big', properties: { blob: 'x'.repeat(40 * 1024) } },
        'not a message',
      ].map((value, index) => ({ index, value })),
      context: { source: 'v1', batchId: 'bat_v1', receivedAt: batch.receivedAt, sentAt: '2026-03-01T10:00:01Z' },
    },
  ],
]

function parseOk(text: string) {
  const parsed = parseBody(text, 'ndjson')
  if (parsed.kind !== 'ok') throw new Error(parsed.reason)
  return parsed.value
}

let pool: PreparePool | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

describe('the prepare pool', () => {
  it.each(tasks)('prepares %s exactly as the main thread does', async (_name, task) => {
    pool = createPreparePool({ size: 1, settings })
    const here = runHere(task)
    expect(await pool.run(task)).toStrictEqual(here)
  })

  it('the mixed body has what the comparison should cover: accepted, rejected, unparseable and too deep records', () => {
    const outcome = runHere(tasks[0]?.[1] as PrepareTask)
    if (outcome.kind !== 'prepared') throw new Error('expected records')
    const reasons = outcome.prepared.flatMap((p) => p.errors.map((e) => e.reason))
    expect(outcome.prepared.filter((p) => p.observation !== null).length).toBeGreaterThanOrEqual(3)
    expect(reasons).toEqual(expect.arrayContaining(['unparseable', 'too_deep']))
    expect(outcome.prepared.some((p) => p.warnings.length > 0)).toBe(true)
  })

  it('answers a parse rejection with the message the main thread gives', async () => {
    pool = createPreparePool({ size: 1, settings })
    const outcome = await pool.run({ kind: 'body', text: '{"cookie": 1,,}', format: 'json', batch })
    expect(outcome).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^body is not valid JSON at line 1, column \d+/) })
  })

  it('fails the batches of a worker that dies, and replaces the worker', async () => {
    pool = createPreparePool({ size: 1, settings, entry: DYING_WORKER })
    const good: PrepareTask = { kind: 'body', text: '{"cookie":"alive"}', format: 'ndjson', batch }
    expect((await pool.run(good)).kind).toBe('prepared')
    const dying = pool.run({ kind: 'body', text: '{"cookie":"DIE"}', format: 'ndjson', batch })
    // Sent to the same worker behind the dying one: it must fail too, not wait forever.
    const behind = pool.run(good)
    await expect(dying).rejects.toThrow(/prepare worker thread exited \(code 7\)/)
    await expect(behind).rejects.toThrow(/exited/)
    expect(await pool.run(good)).toStrictEqual(runHere(good))
  })

  it('keeps no handle open while idle (a CLI command can exit) nor once closed', async () => {
    const before = new Set(process.getActiveResourcesInfo())
    const opened = () => process.getActiveResourcesInfo().filter((r) => !before.has(r))
    pool = createPreparePool({ size: 2, settings })
    pool.start()
    const task = tasks[0]?.[1] as PrepareTask
    const outcomes = await Promise.all([pool.run(task), pool.run(task), pool.run(task)])
    expect(outcomes).toStrictEqual([runHere(task), runHere(task), runHere(task)])
    expect(opened()).toEqual([])
    await pool.close()
    await expect(pool.run(task)).rejects.toThrow(/closed/)
    expect(opened()).toEqual([])
  })

  it('rebuilds unparseable records sent as parsed records', async () => {
    pool = createPreparePool({ size: 1, settings })
    const body = runHere({ kind: 'body', text: ndjson, format: 'ndjson', batch })
    expect(await pool.run({ kind: 'records', records: toWireRecords(parseOk(ndjson)), batch })).toStrictEqual(body)
  })
})
