// The API side of the console: GET /api/auth/key, GET /api/stats, and serving the build at `/`
// (assets cached for good, index.html never, the app's routes answered with index.html, the API's
// 404s kept as JSON, and a how-to-build page when there is no build).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

describe('console API and serving', () => {
  let t: TestApp
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-console-serving-'))
    mkdirSync(path.join(dir, 'assets'))
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title><div id="app"></div>')
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
    t = await createTestApp({}, {}, { consoleDir: dir })
  })

  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('GET /api/auth/key names the calling key and its scopes, for any scope', async () => {
    for (const scope of ['read', 'ingest', 'admin'] as const) {
      const response = await t.app.inject({ method: 'GET', url: '/api/auth/key', headers: t.auth(scope) })
      expect(response.statusCode).toBe(200)
      const body = response.json() as { id: string; name: string; scopes: string[] }
      expect(body.id).toMatch(/^key_/)
      expect(body.scopes).toContain(scope)
      expect(JSON.stringify(body)).not.toContain(t.keys[scope])
    }
    const read = (await t.app.inject({ method: 'GET', url: '/api/auth/key', headers: t.auth('read') })).json()
    expect(read).toMatchObject({ name: 'read', scopes: ['read'] })
  })

  it('GET /api/auth/key refuses a missing, unknown or revoked key with the error envelope', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/api/auth/key' })
    expect(missing.statusCode).toBe(401)
    expect(missing.json()).toMatchObject({ error: { code: 'unauthorized' } })
    const unknown = await t.app.inject({ method: 'GET', url: '/api/auth/key', headers: { authorization: 'Bearer nope' } })
    expect(unknown.statusCode).toBe(401)
    const created = (await t.app.inject({ method: 'POST', url: '/api/keys', headers: t.auth('admin'), payload: { name: 'short-lived', scopes: ['read'] } })).json() as { id: string; key: string }
    expect((await t.app.inject({ method: 'DELETE', url: `/api/keys/${created.id}`, headers: t.auth('admin') })).statusCode).toBe(204)
    const revoked = await t.app.inject({ method: 'GET', url: '/api/auth/key', headers: { authorization: `Bearer ${created.key}` } })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('revoked') } })
  })

  it('GET /api/stats counts profiles, the identified share, events, ingests per day, cohorts and rejections', async () => {
    await t.ingest([
      { cookie: 'st-1', email: 'st1@example.com', interests: ['tennis'] },
      { cookie: 'st-2', interests: ['golf'] },
      { cookie: 'st-3', email: 'not-an-email' },
    ])
    const events = [{ type: 'track', event: 'Product Viewed', anonymousId: 'st-2', messageId: 'st-e1', timestamp: new Date().toISOString() }]
    expect((await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: { batch: events } })).statusCode).toBe(200)
    await expect
      // The store-wide counts are a cached result: on a small store recomputed within a second or so.
      .poll(
        async () => {
          const response = await t.app.inject({ method: 'GET', url: '/api/stats', headers: t.auth('read') })
          expect(response.statusCode).toBe(200)
          return response.json() as Record<string, unknown>
        },
        { timeout: 20_000, interval: 200 },
      )
      .toMatchObject({ profiles: 2, identified: 1, identified_share: 0.5, events: 1, raw: { rejected: 1 } })
    const stats = (await t.app.inject({ method: 'GET', url: '/api/stats', headers: t.auth('read') })).json() as {
      ingests_by_day: Array<{ day: string; count: number }>
      events_by_day: Array<{ day: string; count: number }>
      rejected_reasons: Array<{ reason: string; count: number }>
      cohorts: Array<{ name: string; members: number }>
    }
    const today = new Date().toISOString().slice(0, 10)
    expect(stats.ingests_by_day).toHaveLength(30)
    expect(stats.ingests_by_day.at(-1)).toEqual({ day: today, count: 4 })
    expect(stats.events_by_day.at(-1)).toEqual({ day: today, count: 1 })
    expect(stats.rejected_reasons).toEqual([{ reason: 'invalid_email', count: 1 }])
    expect(stats.cohorts.find((c) => c.name === 'Sports')?.members).toBeGreaterThan(0)
    expect((await t.app.inject({ method: 'GET', url: '/api/stats', headers: t.auth('ingest') })).statusCode).toBe(403)
  })

  it('serves index.html at / uncached and hashed assets for a year', async () => {
    const index = await t.app.inject({ method: 'GET', url: '/' })
    expect(index.statusCode).toBe(200)
    expect(index.headers['content-type']).toContain('text/html')
    expect(index.headers['cache-control']).toBe('no-cache')
    expect(index.body).toContain('<div id="app">')
    const asset = await t.app.inject({ method: 'GET', url: '/assets/index-abc123.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it("answers the app's own routes with index.html and keeps the API's 404s as JSON", async () => {
    const html = { accept: 'text/html,application/xhtml+xml' }
    const route = await t.app.inject({ method: 'GET', url: '/people/email/jane@example.com', headers: html })
    expect(route.statusCode).toBe(200)
    expect(route.body).toContain('<div id="app">')
    for (const url of ['/api/nope', '/v1/nope', '/docs/nope', '/health/x', '/openapi.json/x', '/cdp.js/x']) {
      const response = await t.app.inject({ method: 'GET', url, headers: html })
      expect(response.statusCode, url).toBe(404)
      expect(response.json(), url).toMatchObject({ error: { code: 'not_found' } })
    }
    const json = await t.app.inject({ method: 'GET', url: '/people' })
    expect(json.statusCode).toBe(404)
    expect(json.json()).toMatchObject({ error: { code: 'not_found' } })
    const post = await t.app.inject({ method: 'POST', url: '/people', headers: html })
    expect(post.statusCode).toBe(404)
  })

  it('starts without a build and says at / how to make one', async () => {
    const bare = await createTestApp({}, {}, { consoleDir: path.join(dir, 'missing') })
    try {
      const response = await bare.app.inject({ method: 'GET', url: '/' })
      expect(response.statusCode).toBe(200)
      expect(response.body).toContain('npm run build')
      expect((await bare.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
    } finally {
      await bare.close()
    }
  })
})
