// POST /api/segments/preview's sample rows carry a real entry time, not the epoch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => t.close())

describe('segment preview', () => {
  it('shows each sample member entering at the time of the preview', async () => {
    await t.ingest([
      { cookie: 'preview-1', email: 'preview-1@example.org', age: 41 },
      { cookie: 'preview-2', email: 'preview-2@example.org', age: 52 },
    ])
    const before = Date.now()
    const response = await t.app.inject({ method: 'POST', url: '/api/segments/preview', headers: t.auth('read'), payload: { conditions: { field: 'age', op: 'gte', value: 40 } } })
    const after = Date.now()
    expect(response.statusCode).toBe(200)
    const body = response.json() as { count: number; sample: Array<{ email: string; entered_at: string }> }
    expect(body.count).toBe(2)
    for (const member of body.sample) {
      const at = Date.parse(member.entered_at)
      expect(at).toBeGreaterThanOrEqual(before - 1000)
      expect(at).toBeLessThanOrEqual(after)
    }
  })
})
