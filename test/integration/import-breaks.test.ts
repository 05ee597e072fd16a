// `cdp import` of a file that breaks off part-way (a CSV quote never closed, an NDJSON file cut off in
// the middle of a record): every row before the break is committed and counted, the report says where
// the file stopped, and the command exits 1. Checked through the API over a real child process.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { QualityReport } from '../../src/cli/import.ts'
import { ADMIN_KEY, openTestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
let database: TestDatabase
let dir: string
beforeAll(async () => {
  database = await createTestDatabase({ CDP_ADMIN_KEY: ADMIN_KEY })
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-import-breaks-'))
})
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true })
  await database?.drop()
})

async function cdpImport(file: string, source: string): Promise<{ code: number; stdout: string; report: QualityReport }> {
  const reportFile = path.join(dir, `${source}.report.json`)
  const result = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'import', file, '--quiet', '--source', source, '--report', reportFile], {
    env: { ...process.env, ...database.env },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  )
  return { ...result, report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as QualityReport }
}

interface Row {
  cookie: string
  email: string
}

/**
 * The rows on lines 2 … breakLine − 1 (CSV: after the header; NDJSON: line 1 is a row too, see
 * below), with a rejected row (a bad email) and a repeated row in every hundred.
 */
function rowsBefore(prefix: string, firstLine: number, breakLine: number): Row[] {
  const rows: Row[] = []
  for (let line = firstLine; line < breakLine; line++) {
    if (line % 100 === 77 && rows.length > 0) rows.push({ ...(rows[rows.length - 1] as Row) })
    else rows.push({ cookie: `${prefix}-${line}`, email: line % 100 === 50 ? 'not-an-email' : `${prefix}-${line}@example.org` })
  }
  return rows
}

/** What the report must count for these rows: each row once. */
function expectedCounts(rows: readonly Row[]) {
  const distinct = new Set(rows.map((r) => r.cookie)).size
  const rejected = new Set(rows.filter((r) => r.email === 'not-an-email').map((r) => r.cookie)).size
  return { rows_read: rows.length, accepted: distinct - rejected, rejected, duplicates_within_file: rows.length - distinct, duplicates_already_stored: 0 }
}

/** Every raw record stored under `source`, through GET /api/raw in pages. */
async function rawRecords(source: string): Promise<Array<{ status: string; payload: { cookie?: string } }>> {
  const t = await openTestApp(database)
  try {
    const out: Array<{ status: string; payload: { cookie?: string } }> = []
    let afterId: number | null = 0
    while (afterId !== null) {
      const url = `/api/raw?source=${source}&limit=1000&after_id=${afterId}`
      const page = await t.app.inject({ method: 'GET', url, headers: t.auth('admin') })
      expect(page.statusCode, page.body).toBe(200)
      const body = page.json() as { records: Array<{ status: string; payload: { cookie?: string } }>; next_after_id: number | null }
      out.push(...body.records)
      afterId = body.next_after_id
    }
    return out
  } finally {
    await t.app.close()
    await t.runtime.close()
  }
}

async function expectEveryRowBefore(source: string, rows: readonly Row[]): Promise<void> {
  const raw = await rawRecords(source)
  const stored = raw.map((r) => r.payload.cookie).sort()
  expect(stored).toEqual([...new Set(rows.map((r) => r.cookie))].sort())
  const counts = expectedCounts(rows)
  expect(raw.filter((r) => r.status === 'accepted').length).toBe(counts.accepted)
  expect(raw.filter((r) => r.status === 'rejected').length).toBe(counts.rejected)
  const lastAccepted = [...rows].reverse().find((r) => r.email !== 'not-an-email')
  if (lastAccepted) {
    const t = await openTestApp(database)
    try {
      const person = await t.user({ cookie: lastAccepted.cookie })
      expect(person.status).toBe(200)
      expect(person.body.user_profile.email).toBe(lastAccepted.email)
    } finally {
      await t.app.close()
      await t.runtime.close()
    }
  }
}

function expectBrokenOffReport(result: { code: number; stdout: string; report: QualityReport }, rows: readonly Row[], breakLine: number): void {
  const counts = expectedCounts(rows)
  expect(result.code).toBe(1)
  expect(result.report).toMatchObject({ ...counts, complete: false, stopped: { line: breakLine } })
  const r = result.report
  expect(r.accepted + r.rejected + r.duplicates_within_file + r.duplicates_already_stored).toBe(r.rows_read)
  expect(result.stdout).toContain(`the ${counts.rows_read} rows before that point were committed`)
}

// Line 2 (nothing before it), batch boundaries of the default 1,000-row batches, and a line between.
const BREAKS = [2, 1001, 3457, 5001]

describe('cdp import of a file that breaks off', () => {
  it.each(BREAKS)('CSV with a quote never closed on line %i: every row before it is committed', async (breakLine) => {
    const source = `csv-${breakLine}`
    const rows = rowsBefore(source, 2, breakLine)
    const cells = (r: Row) => `${r.cookie},${r.email},"golf;yoga"`
    // Rows after the break hold quoted cells, so the open quote ends on the next line and the parser
    // fails there, in the middle of the file, with the rows before still in its buffers.
    const after = Array.from({ length: 3000 }, (_, i) => cells({ cookie: `${source}-after-${i}`, email: `${source}-after-${i}@example.org` }))
    const file = path.join(dir, `${source}.csv`)
    fs.writeFileSync(file, ['cookie,email,interests', ...rows.map(cells), `${source}-broken,"${source}-broken@example.org,golf`, ...after, ''].join('\n'))

    const result = await cdpImport(file, source)
    expectBrokenOffReport(result, rows, breakLine)
    expect(result.report.stopped?.message).toContain(`in a row that starts on line ${breakLine}`)
    await expectEveryRowBefore(source, rows)
  }, 120_000)

  it.each(BREAKS)('NDJSON cut off in the middle of the record on line %i: every row before it is committed', async (breakLine) => {
    const source = `ndjson-${breakLine}`
    const rows = rowsBefore(source, 1, breakLine)
    const file = path.join(dir, `${source}.ndjson`)
    const lines = rows.map((r) => JSON.stringify({ ...r, interests: ['golf'] }))
    fs.writeFileSync(file, [...lines, `{"cookie":"${source}-cut","email":"${source}-cu`].join('\n'))

    const result = await cdpImport(file, source)
    expectBrokenOffReport(result, rows, breakLine)
    expect(result.report.stopped?.message).toContain('ends in the middle of a record')
    await expectEveryRowBefore(source, rows)
  }, 120_000)

  it('takes a bad NDJSON line followed by a line break as one rejected row, not as a break', async () => {
    const file = path.join(dir, 'bad-line.ndjson')
    fs.writeFileSync(file, '{"cookie":"bad-line-1"}\n{"cookie": oops\n{"cookie":"bad-line-2"}\n{"cookie":"bad-line-3"}')
    const result = await cdpImport(file, 'bad-line')
    // The last line is valid JSON without a line break after it: the file is complete.
    expect(result.code).toBe(0)
    expect(result.report).toMatchObject({ rows_read: 4, accepted: 3, rejected: 1, complete: true, stopped: null })
  }, 120_000)
})
