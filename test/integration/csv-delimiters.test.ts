// POST /api/ingest with CSV bodies in the delimiters spreadsheets write: read off the header line,
// or named with ?delimiter=.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => t.close())

async function postCsv(body: string, query = '') {
  const response = await t.app.inject({ method: 'POST', url: `/api/ingest${query}`, headers: { ...t.auth('ingest'), 'content-type': 'text/csv' }, payload: body })
  return { status: response.statusCode, body: response.json() as { records_processed: number; records_failed: number; error?: { code: string; message: string } } }
}

describe('CSV delimiters on POST /api/ingest', () => {
  it('reads a semicolon-separated body off its header line', async () => {
    const r = await postCsv('cookie;email;"location.city"\napi-semi-1;api-semi-1@example.org;"Lyon, Rhône"\n')
    expect(r).toMatchObject({ status: 200, body: { records_processed: 1, records_failed: 0 } })
    const user = await t.user({ email: 'api-semi-1@example.org' })
    expect(user.body.user_profile.location_detail.city).toBe('Lyon, Rhône')
  })

  it('takes ?delimiter=tab, and refuses a delimiter it does not know', async () => {
    const r = await postCsv('cookie\temail\napi-tab-1\tapi-tab-1@example.org\n', '?delimiter=tab')
    expect(r).toMatchObject({ status: 200, body: { records_processed: 1, records_failed: 0 } })
    expect((await t.user({ email: 'api-tab-1@example.org' })).status).toBe(200)
    const pipes = await postCsv('cookie|size,colour\napi-pipe-1|M,red\n', `?delimiter=${encodeURIComponent('|')}`)
    expect(pipes.body).toMatchObject({ records_processed: 1, records_failed: 0 })
    const bad = await postCsv('cookie\nx\n', '?delimiter=x')
    expect(bad.status).toBe(400)
    expect(bad.body.error?.code).toBe('invalid_input')
  })
})
