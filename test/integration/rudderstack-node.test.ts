// RudderStack's Node SDK with its defaults, pointed at this server: it posts gzip-compressed batches
// to /v1/batch with the write key as the Basic user name, and needs nothing else (no Redis: its
// persistent queue is only used when createPersistenceQueue is called).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Analytics from '@rudderstack/rudder-sdk-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let dataPlaneUrl: string
let proxy: http.Server
/** What the SDK sent, seen on the way through: path and the headers that matter here. */
const seen: Array<{ path: string; contentEncoding: string | undefined; authorization: string | undefined; status: number }> = []

beforeAll(async () => {
  t = await createTestApp()
  const target = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }))
  // A pass-through in front of the app, only to record the requests the SDK makes.
  proxy = http.createServer((request, response) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        seen.push({
          path: request.url ?? '',
          contentEncoding: request.headers['content-encoding'],
          authorization: request.headers.authorization,
          status: answer.statusCode ?? 0,
        })
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  dataPlaneUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve))
  await t?.close()
})

describe('the @rudderstack/rudder-sdk-node client with its defaults', () => {
  it('sends gzip batches that land: identify, track, page and screen', async () => {
    const errors: unknown[] = []
    const client = new Analytics(t.keys.ingest, { dataPlaneUrl, logLevel: 'error', errorHandler: (error: unknown) => errors.push(error) })
    client.identify({ anonymousId: 'rudder-anon-1', userId: 'rudder.user@example.com', traits: { name: 'Rudder User', age: 40, plan: 'team' } })
    client.track({ anonymousId: 'rudder-anon-1', event: 'Product Viewed', properties: { sku: 'R-1', category: 'tennis rackets' } })
    client.page({ anonymousId: 'rudder-anon-1', name: 'Pricing', properties: { path: '/pricing' } })
    client.screen({ userId: 'rudder.user@example.com', name: 'Settings' })
    client.track({ userId: 'rudder.user@example.com', event: 'Order Completed', properties: { total: 99 } })
    await client.flush()
    expect(errors).toEqual([])

    expect(seen.length).toBeGreaterThan(0)
    for (const request of seen) {
      expect(request).toMatchObject({ path: '/v1/batch', contentEncoding: 'gzip', status: 200 })
      expect(Buffer.from(String(request.authorization).replace(/^Basic /, ''), 'base64').toString()).toBe(`${t.keys.ingest}:`)
    }

    const { status, body } = await t.user({ email: 'rudder.user@example.com', events: '20' })
    expect(status).toBe(200)
    const user = body.user_profile as unknown as { cookies: string[]; demographics: { age: number }; traits: Record<string, unknown>; events: Array<{ name: string; properties: Record<string, unknown> }> }
    expect(user.cookies).toContain('rudder-anon-1')
    expect(user.demographics.age).toBe(40)
    expect(user.traits).toMatchObject({ name: 'Rudder User', plan: 'team' })
    expect(user.events.map((e) => e.name).sort()).toEqual(['Order Completed', 'Page Viewed', 'Product Viewed', 'Screen Viewed'])
    expect(user.events.find((e) => e.name === 'Product Viewed')?.properties).toEqual({ sku: 'R-1', category: 'tennis rackets' })
  })
})
