// `cdp import`: a real child process streaming real files through the pipeline.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { QualityReport } from '../../src/cli/import.ts'
import { openRuntime, type Runtime } from '../../src/compose.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
let database: TestDatabase
let dir: string
beforeAll(async () => {
  database = await createTestDatabase()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-import-'))
})
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true })
  await database.drop()
})

async function cdpImport(file: string, ...args: string[]): Promise<{ report: QualityReport; stdout: string }> {
  return cdpImportWith([], file, ...args)
}

async function cdpImportWith(nodeFlags: string[], file: string, ...args: string[]): Promise<{ report: QualityReport; stdout: string }> {
  const reportFile = path.join(dir, `report-${Date.now()}.json`)
  const { stdout } = await run(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/main.ts', 'import', file, '--quiet', '--report', reportFile, ...args], {
    env: { ...process.env, ...database.env },
    maxBuffer: 10 * 1024 * 1024,
  })
  return { report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as QualityReport, stdout }
}

async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(database.config)
  try {
    return await work(runtime)
  } finally {
    await runtime.close()
  }
}

describe('cdp import', () => {
  it('imports CSV with a data-quality report, and a second import changes nothing', async () => {
    const file = path.join(dir, 'people.csv')
    fs.writeFileSync(
      file,
      '\uFEFFcookie,email,phone,location.city,location.country,demographics.age,interests\r\n' +
        'imp-1,ann@example.org,+44 20 7946 0958,London,UK,29,"yoga;sushi"\r\n' +
        'imp-2,not-an-email,,,,,golf\r\n' +
        ',bob@example.org,,,,,\r\n' +
        'imp-3,,12,"Paris, 75001",France,abc,\r\n' +
        'imp-4,ann@example.org,555-0100-999-999,,,,"chess|tom brady"\r\n' +
        'imp-1,ann@example.org,+44 20 7946 0958,London,UK,29,"yoga;sushi"\r\n',
    )
    const { report, stdout } = await cdpImport(file, '--source', 'crm')
    expect(report).toMatchObject({
      source: 'crm',
      format: 'csv',
      rows_read: 6,
      accepted: 2,
      rejected: 3,
      rejected_by_reason: { invalid_email: 1, missing_cookie: 1, bad_age: 1 },
      duplicates_within_file: 1,
      duplicates_already_stored: 0,
    })
    expect(report.warnings_by_reason).toMatchObject({ invalid_phone: 1 })
    expect(stdout).toContain('rows read')
    expect(stdout).toContain('invalid email')

    const again = await cdpImport(file, '--source', 'crm')
    // Every distinct row is stored already, the rejected ones too (the raw store keeps them).
    expect(again.report).toMatchObject({ rows_read: 6, accepted: 0, duplicates_within_file: 1, duplicates_already_stored: 5 })

    await withRuntime(async (runtime) => {
      const id = await runtime.store.findProfileId('email', 'ann@example.org')
      const view = await runtime.store.loadProfileView(id as string)
      expect(view?.cookies.map((c) => c.cookie).sort()).toEqual(['imp-1', 'imp-4'])
      expect(view?.profile.fields.phone).toBe('+442079460958')
      expect([...(view?.profile.interests.keys() ?? [])].sort()).toEqual(['chess', 'sushi', 'tom brady', 'yoga'])
    })
  })

  it('streams a JSON array file and an NDJSON file with a bad line', async () => {
    const json = path.join(dir, 'array.json')
    fs.writeFileSync(json, JSON.stringify([{ cookie: 'arr-1', interests: ['golf'] }, { cookie: 'arr-2', note: 'a "quoted", [bracketed] {value}' }, 42]))
    const a = await cdpImport(json)
    expect(a.report).toMatchObject({ rows_read: 3, accepted: 2, rejected: 1, rejected_by_reason: { not_an_object: 1 } })

    const ndjson = path.join(dir, 'lines.ndjson')
    fs.writeFileSync(ndjson, '{"cookie":"nd-a"}\r\n\r\n{"cookie": oops}\n{"cookie":"nd-b","email":"ND@Example.org"}\n')
    const b = await cdpImport(ndjson)
    expect(b.report).toMatchObject({ rows_read: 3, accepted: 2, rejected: 1, rejected_by_reason: { unparseable: 1 } })
    expect(b.report.sample_errors[0]?.message).toContain('line 3')
  })

  it('streams a 1,000,000-row file at constant memory', async () => {
    const file = path.join(dir, 'million.csv')
    const out = fs.createWriteStream(file)
    out.write('cookie,interests\n')
    const interests = ['golf', 'sushi', 'ethereum', 'yoga', 'fortnite']
    for (let i = 0; i < 1_000_000; i++) {
      if (!out.write(`m${i.toString(36)},${interests[i % 5]}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    }
    await new Promise<void>((resolve) => out.end(() => resolve()))
    // Constant memory: a file of any size is read in batches, never held whole. The JavaScript heap
    // is capped far below what a million records would take if they were held (the interest model's
    // share of it is ~30 MB), so an import that accumulated rows would die of heap exhaustion.
    const { report } = await cdpImportWith(['--max-old-space-size=160'], file, '--source', 'million')
    expect(report).toMatchObject({ rows_read: 1_000_000, accepted: 1_000_000, rejected: 0 })
    expect(report.peak_rss_mb).toBeLessThan(600)
    await withRuntime(async (runtime) => {
      expect(await runtime.store.countProfiles()).toBeGreaterThanOrEqual(1_000_000)
      const id = await runtime.store.findProfileId('cookie', `m${(999_999).toString(36)}`)
      expect(id).toBeDefined()
    })
  }, 900_000)
})

/** `cdp import` that may fail: its exit code, output and the report it wrote. */
async function cdpImportStatus(file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; report: QualityReport }> {
  const reportFile = path.join(dir, `report-${Date.now()}-${Math.random()}.json`)
  const result = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'import', file, '--quiet', '--report', reportFile, ...args], {
    env: { ...process.env, ...database.env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  )
  return { ...result, report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as QualityReport }
}

describe('cdp import of CSV files as people write them', () => {
  it('reads the delimiter off the header line, ignoring delimiters inside quotes', async () => {
    const semicolons = path.join(dir, 'semicolons.csv')
    fs.writeFileSync(semicolons, 'cookie;email;"location.city"\nsemi-1;semi-1@example.org;"Paris, 1er; France"\n')
    const a = await cdpImportStatus(semicolons)
    expect(a.code).toBe(0)
    expect(a.report).toMatchObject({ delimiter: ';', rows_read: 1, accepted: 1, rejected: 0 })
    expect(a.stdout).toContain('delimiter ";"')

    const tabs = path.join(dir, 'tabs.tsv')
    fs.writeFileSync(tabs, 'cookie\temail\t"a,b"\ntab-1\ttab-1@example.org\tx\n')
    expect((await cdpImportStatus(tabs, '--format', 'csv')).report).toMatchObject({ delimiter: '\t', accepted: 1 })

    const pipes = path.join(dir, 'pipes.csv')
    fs.writeFileSync(pipes, '"cookie"|"email"\npipe-1|pipe-1@example.org\n')
    expect((await cdpImportStatus(pipes)).report).toMatchObject({ delimiter: '|', accepted: 1 })

    await withRuntime(async (runtime) => {
      const id = await runtime.store.findProfileId('email', 'semi-1@example.org')
      expect((await runtime.store.loadProfileView(id as string))?.profile.fields.city).toBe('Paris, 1er; France')
      expect(await runtime.store.findProfileId('email', 'tab-1@example.org')).toBeDefined()
      expect(await runtime.store.findProfileId('email', 'pipe-1@example.org')).toBeDefined()
    })
  })

  it('takes --delimiter over what the header suggests', async () => {
    // The header has more commas than semicolons, but the file is semicolon-separated.
    const file = path.join(dir, 'forced.csv')
    fs.writeFileSync(file, 'cookie;size,colour,fit\nforced-1;M,red,slim\n')
    const r = await cdpImportStatus(file, '--delimiter', ';')
    expect(r.report).toMatchObject({ delimiter: ';', accepted: 1, rejected: 0 })
    const bad = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'import', file, '--delimiter', 'x'], { env: { ...process.env, ...database.env } }).catch((error: unknown) => error)
    expect((bad as { stderr: string }).stderr).toContain('must be , ; | or tab')
  })

  it('exits non-zero when every row is rejected', async () => {
    const file = path.join(dir, 'no-cookies.csv')
    fs.writeFileSync(file, 'email\nnone-1@example.org\nnone-2@example.org\n')
    const r = await cdpImportStatus(file)
    expect(r.code).not.toBe(0)
    expect(r.report).toMatchObject({ rows_read: 2, accepted: 0, rejected: 2, complete: true })
    expect(r.stdout).toContain('no row was accepted')
  })

  it('writes and prints the report when the file breaks off, and says the rows before were committed', async () => {
    const file = path.join(dir, 'broken.csv')
    fs.writeFileSync(file, 'cookie,email\nbrk-1,brk-1@example.org\nbrk-2,brk-2@example.org\n"brk-3,never closed\nbrk-4,brk-4@example.org\n')
    const r = await cdpImportStatus(file)
    expect(r.code).not.toBe(0)
    expect(r.report).toMatchObject({ rows_read: 2, accepted: 2, complete: false, stopped: { line: 4 } })
    expect(r.report.stopped?.message).toContain('never closed')
    expect(r.stdout).toContain('rows read                 2')
    expect(r.stdout).toContain('the 2 rows before that point were committed')
    await withRuntime(async (runtime) => {
      expect(await runtime.store.findProfileId('email', 'brk-2@example.org')).toBeDefined()
    })
  })

  it('counts every row once: a re-import of rejected rows is already imported, not rejected again', async () => {
    const file = path.join(dir, 'counted.csv')
    fs.writeFileSync(file, 'cookie,email\ncnt-1,cnt-1@example.org\ncnt-2,not-an-email\ncnt-2,not-an-email\ncnt-3,cnt-3@example.org\n')
    const sum = (r: QualityReport) => r.accepted + r.rejected + r.duplicates_within_file + r.duplicates_already_stored
    const first = await cdpImportStatus(file)
    expect(first.report).toMatchObject({ rows_read: 4, accepted: 2, rejected: 1, duplicates_within_file: 1, duplicates_already_stored: 0 })
    expect(sum(first.report)).toBe(first.report.rows_read)
    const again = await cdpImportStatus(file)
    expect(again.code).toBe(0)
    expect(again.report).toMatchObject({ rows_read: 4, accepted: 0, rejected: 0, rejected_by_reason: {}, duplicates_within_file: 1, duplicates_already_stored: 3 })
    expect(sum(again.report)).toBe(again.report.rows_read)
  })
})
