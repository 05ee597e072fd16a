// Data quality that helps instead of dropping: near-miss field names, the per-source quality policy
// (reject or drop_field), and incomes read in other currencies, over HTTP and `cdp import`.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { QualityReport } from '../../src/cli/import.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  // crm drops bad fields; every other source keeps today's default, reject.
  t = await createTestApp({ CDP_QUALITY_POLICY: 'crm:drop_field' })
})
afterAll(async () => t.close())

const post = (url: string, payload: string, contentType = 'application/json') =>
  t.app.inject({ method: 'POST', url, headers: { ...t.auth('ingest'), 'content-type': contentType }, payload })

async function rawRecords(source: string): Promise<Array<{ payload: unknown; status: string; errors: Array<{ field: string; reason: string }> | null }>> {
  const response = await t.app.inject({ method: 'GET', url: `/api/raw?source=${source}`, headers: t.auth('admin') })
  expect(response.statusCode).toBe(200)
  return (response.json() as { records: Array<{ payload: unknown; status: string; errors: Array<{ field: string; reason: string }> | null }> }).records
}

describe('near-miss field names', () => {
  it('reads Email, E-mail Address and Cookie as the known fields, so the person is found by email', async () => {
    const r = await t.ingest(
      [
        { Cookie: 'nm-1', Email: 'Ann.Near@Example.org', 'Phone Number': '+44 20 7946 0958', Location: { City: 'Leeds' } },
        { cookie: 'nm-2', 'E-mail Address': 'bob.near@example.org', 'Country Code': 'FR' },
        { COOKIE: 'nm-3', emailAddress: 'cat.near@example.org', Mobile: '(212) 555-0199', AGE: '41' },
      ],
      { source: 'names' },
    )
    expect(r.body).toMatchObject({ status: 'success', records_failed: 0, errors: [], warnings: [] })

    const ann = await t.user({ email: 'ann.near@example.org' })
    expect(ann.status).toBe(200)
    expect(ann.body.user_profile).toMatchObject({ cookie: 'nm-1', phone_number: '+442079460958', location_detail: { city: 'Leeds' }, traits: {} })
    expect((await t.user({ email: 'bob.near@example.org' })).body.user_profile).toMatchObject({ cookie: 'nm-2', location_detail: { country_code: 'FR' } })
    expect((await t.user({ email: 'cat.near@example.org' })).body.user_profile).toMatchObject({ cookie: 'nm-3', phone_number: '+12125550199', demographics: { age: 41 } })

    // The raw store keeps the names as they were sent.
    const raw = await rawRecords('names')
    expect(raw.map((row) => row.payload)).toContainEqual({ Cookie: 'nm-1', Email: 'Ann.Near@Example.org', 'Phone Number': '+44 20 7946 0958', Location: { City: 'Leeds' } })
  })

  it('reads CSV headers such as Cookie, E-mail Address, Location.City and demographics.Age', async () => {
    const csv = 'Cookie,E-mail Address,Location.City,demographics.Age,Interests\nnm-csv-1,dan.near@example.org,Lyon,29,golf;chess\n'
    const r = await post('/api/ingest?source=names-csv', csv, 'text/csv')
    expect(r.json()).toMatchObject({ status: 'success', records_failed: 0 })
    const dan = await t.user({ email: 'dan.near@example.org' })
    expect(dan.status).toBe(200)
    expect(dan.body.user_profile).toMatchObject({ cookie: 'nm-csv-1', location_detail: { city: 'Lyon' }, demographics: { age: 29 }, traits: {} })
    expect(dan.body.user_profile.interests.sort()).toEqual(['chess', 'golf'])
  })

  it('warns with "did you mean" about a name close to a known field, and keeps its value as a trait', async () => {
    const r = await t.ingest([{ cookie: 'nm-typo', emial: 'eve.near@example.org' }], { source: 'names' })
    expect(r.body.status).toBe('success')
    expect(r.body.warnings).toEqual([{ record: 0, field: 'emial', reason: 'unknown_field', message: expect.stringContaining('did you mean "email"?') }])
    expect((await t.user({ email: 'eve.near@example.org' })).status).toBe(404)
    expect((await t.user({ cookie: 'nm-typo' })).body.user_profile.traits).toEqual({ emial: 'eve.near@example.org' })
  })

  it('does not call a record with "Cookie" one without a cookie; a misspelt cookie is named in the error', async () => {
    const r = await t.ingest([{ Cookie: 'nm-cap' }, { cokie: 'nm-cokie' }], { source: 'names' })
    expect(r.body).toMatchObject({ status: 'partial', records_failed: 1 })
    expect(r.body.errors).toEqual([{ record: 1, field: 'cookie', reason: 'missing_cookie', message: expect.stringContaining('did you mean "cokie"?') }])
    expect((await t.user({ cookie: 'nm-cap' })).status).toBe(200)
  })
})

describe('quality policy', () => {
  const badFields = { cookie: 'qp-1', email: 'bob@', demographics: { age: 150, gender: 'female' }, interests: ['Tom Brady', 'golf'] }

  it('rejects a record with a bad optional field by default', async () => {
    const r = await t.ingest([badFields], { source: 'web' })
    expect(r.body).toMatchObject({ status: 'failed', records_failed: 1 })
    expect(r.body.errors.map((e) => e.reason).sort()).toEqual(['bad_age', 'invalid_email'])
    expect((await t.user({ cookie: 'qp-1' })).status).toBe(404)
    const [row] = await rawRecords('web')
    expect(row).toMatchObject({ status: 'rejected', payload: badFields })
  })

  it('with ?on_invalid=drop_field keeps the cookie and interests, drops the bad fields, and says so', async () => {
    const r = await post('/api/ingest?source=web-drop&on_invalid=drop_field', JSON.stringify(badFields))
    const body = r.json() as { status: string; records_failed: number; warnings: Array<{ field: string; reason: string; message: string }> }
    expect(body).toMatchObject({ status: 'success', records_failed: 0 })
    expect(body.warnings.map((w) => [w.field, w.reason])).toEqual([
      ['email', 'invalid_email'],
      ['demographics.age', 'bad_age'],
    ])
    expect(body.warnings[1]?.message).toContain('dropped demographics.age and kept the record (quality policy drop_field)')

    const user = await t.user({ cookie: 'qp-1' })
    expect(user.status).toBe(200)
    expect(user.body.user_profile).toMatchObject({ email: null, demographics: { age: null, gender: 'female' } })
    expect(user.body.user_profile.interests.sort()).toEqual(['golf', 'tom brady'])
    expect(user.body.user_profile.cohorts).toContain('Sports')

    // The raw store keeps the record as received, accepted, with the warnings.
    const [row] = await rawRecords('web-drop')
    expect(row).toMatchObject({ status: 'accepted', payload: badFields })
    expect(row?.errors?.map((e) => e.reason)).toEqual(['invalid_email', 'bad_age'])
  })

  it('applies the source policy from CDP_QUALITY_POLICY, and ?on_invalid=reject overrides it', async () => {
    const record = { cookie: 'qp-crm', demographics: { age: '200' }, interests: ['chess'] }
    const dropped = await t.ingest([record], { source: 'crm' })
    expect(dropped.body).toMatchObject({ status: 'success', warnings: [expect.objectContaining({ reason: 'bad_age' })] })
    expect((await t.user({ cookie: 'qp-crm' })).body.user_profile.interests).toEqual(['chess'])

    const strict = await post('/api/ingest?source=crm&on_invalid=reject', JSON.stringify({ ...record, cookie: 'qp-crm-strict' }))
    expect(strict.json()).toMatchObject({ status: 'failed', records_failed: 1 })
  })

  it('never drops the cookie: a record without a valid one is rejected under drop_field too', async () => {
    const r = await t.ingest([{ email: 'nocookie@example.org', demographics: { age: 150 } }, { cookie: 'x'.repeat(201) }], { source: 'crm' })
    expect(r.body).toMatchObject({ status: 'failed', records_failed: 2 })
    expect(r.body.errors.map((e) => e.reason)).toEqual(['missing_cookie', 'invalid_cookie'])
  })

  it('keeps a dropped-field record when a late login rebuilds the people of a shared cookie', async () => {
    // Ann logs in, then the device's anonymous visit (with an unreadable age) comes; Bob's login,
    // older than the visit, arrives last: the visit changes hands, and both people are folded again
    // from the stored records, the dropped-field one included.
    const cookie = 'qp-rebuild'
    expect((await t.ingest([{ cookie, email: 'ann.rebuild@example.org', timestamp: '2024-03-01T00:00:00Z' }], { source: 'web' })).body.status).toBe('success')
    const visit = await t.ingest([{ cookie, demographics: { age: 'old' }, interests: ['chess'], timestamp: '2024-03-03T00:00:00Z' }], { source: 'crm' })
    expect(visit.body).toMatchObject({ status: 'success', warnings: [expect.objectContaining({ reason: 'bad_age' })] })
    expect((await t.ingest([{ cookie, email: 'bob.rebuild@example.org', timestamp: '2024-03-02T00:00:00Z' }], { source: 'web' })).body.status).toBe('success')
    const bob = await t.user({ email: 'bob.rebuild@example.org' })
    expect(bob.status).toBe(200)
    expect(bob.body.user_profile.interests).toEqual(['chess'])
    expect((await t.user({ email: 'ann.rebuild@example.org' })).body.user_profile.interests).toEqual([])
  })

  it('refuses an unknown on_invalid value', async () => {
    const r = await post('/api/ingest?on_invalid=keep', JSON.stringify({ cookie: 'qp-bad-option' }))
    expect(r.statusCode).toBe(400)
    expect((r.json() as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('on_invalid') })
  })
})

describe('income', () => {
  it('serves income as sent with its amount or range and currency, and warns when it is not an amount', async () => {
    const r = await t.ingest(
      [
        { cookie: 'inc-1', income: '€50.000' },
        { cookie: 'inc-2', demographics: { income: '$75,000-$100,000' } },
        { cookie: 'inc-3', income: '40k-60k' },
        { cookie: 'inc-4', income: 'prefer not to say' },
      ],
      { source: 'income' },
    )
    expect(r.body).toMatchObject({ status: 'success', warnings: [{ record: 3, field: 'income', reason: 'unreadable_income' }] })
    const demographics = async (cookie: string) => (await t.user({ cookie })).body.user_profile.demographics as Record<string, unknown>
    expect(await demographics('inc-1')).toMatchObject({ income: '€50.000', income_parsed: { min: 50_000, max: 50_000, currency: 'EUR' } })
    expect(await demographics('inc-2')).toMatchObject({ income: '$75,000-$100,000', income_parsed: { min: 75_000, max: 100_000, currency: 'USD' } })
    expect(await demographics('inc-3')).toMatchObject({ income_parsed: { min: 40_000, max: 60_000, currency: null } })
    expect(await demographics('inc-4')).toMatchObject({ income: 'prefer not to say', income_parsed: null })
  })
})

describe('cdp import --on-invalid', () => {
  it('stores rows without their bad fields and counts the warnings in the quality report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-quality-'))
    try {
      const file = path.join(dir, 'people.csv')
      fs.writeFileSync(file, 'cookie,Email,demographics.age,interests\nimp-1,imp.one@example.org,150,golf\nimp-2,imp.two@,33,chess\n')
      const reportFile = path.join(dir, 'report.json')
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', 'import', file, '--quiet', '--source', 'import-drop', '--on-invalid', 'drop_field', '--report', reportFile], {
        env: { ...process.env, ...t.database.env },
      })
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as QualityReport
      expect(report).toMatchObject({ rows_read: 2, accepted: 2, rejected: 0, warnings_by_reason: { bad_age: 1, invalid_email: 1 } })
      expect((await t.user({ email: 'imp.one@example.org' })).body.user_profile).toMatchObject({ cookie: 'imp-1', demographics: { age: null }, interests: ['golf'] })
      expect((await t.user({ cookie: 'imp-2' })).body.user_profile).toMatchObject({ email: null, demographics: { age: 33 }, interests: ['chess'] })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
