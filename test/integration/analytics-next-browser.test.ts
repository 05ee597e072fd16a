// Segment's analytics.js 2.0 (@segment/analytics-next, the real package, bundled here) in headless
// Chromium, pointed at this server with inline settings so nothing comes from Segment's CDN. A shop's
// page on one origin (localhost) posts to the CDP on another (127.0.0.1), so every request is
// cross-origin and preflighted by the browser itself (the library sends Authorization, and
// X-Retry-Count on retries). Between the browser and the app sits a small recording proxy that can
// fail a request on purpose: an outage the client must ride out with its own retries.
// Messages are checked where they land, through the API: GET /api/events and GET /api/user.
import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const INSTALL_HINT = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (Debian's package; playwright-core drives it)`
if (!hasChromium) console.warn(`analytics-next browser tests skipped: ${INSTALL_HINT}`)

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost'])

/** One request the proxy passed on (or failed on purpose), with the answer the browser got. */
interface SeenRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
  status: number
  answer: string
  answerHeaders: http.IncomingHttpHeaders
}

/** How the proxy fails the next request that matches: once, then it passes requests through again. */
type Fault = { match: (request: { method: string; path: string; body: string }) => boolean; kind: 'unavailable' | 'gateway timeout' }

let t: TestApp

beforeAll(async () => {
  t = await createTestApp()
})

afterAll(async () => {
  await t?.close()
})

describe.skipIf(!hasChromium)(`@segment/analytics-next in headless Chromium (skipped when ${INSTALL_HINT})`, () => {
  let browser: Browser
  let proxy: http.Server
  let pageServer: http.Server
  let apiHost: string
  let site: string
  let bundle: string
  const seen: SeenRequest[] = []
  const faults: Fault[] = []
  /** Every request any page made, to prove none left this machine. */
  const requestedUrls: string[] = []

  beforeAll(async () => {
    const { chromium } = await import('playwright-core')
    const result = await build({
      stdin: { contents: "import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser", resolveDir: process.cwd() },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    })
    bundle = result.outputFiles[0]?.text ?? ''

    const target = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }))
    proxy = http.createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const entry: SeenRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, status: 0, answer: '', answerHeaders: {} }
        const faultAt = faults.findIndex((f) => f.match(entry))
        const fault = faultAt >= 0 ? faults.splice(faultAt, 1)[0] : undefined
        if (fault?.kind === 'unavailable') {
          // What a load balancer answers while the CDP restarts (with CORS, so the page can read it).
          entry.status = 503
          seen.push(entry)
          response.writeHead(503, { 'access-control-allow-origin': request.headers.origin ?? '*', 'content-type': 'text/plain' }).end('service unavailable')
          return
        }
        const upstream = http.request({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
          const answerChunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk))
          answer.on('end', () => {
            entry.answer = Buffer.concat(answerChunks).toString('utf8')
            entry.answerHeaders = answer.headers
            if (fault?.kind === 'gateway timeout') {
              // The CDP stored the request, but its answer never gets back: the gateway gave up
              // waiting. (Dropping the connection instead would not do: on a reused keep-alive
              // socket Chromium re-sends the request itself, and the library never sees a failure.)
              entry.status = 504
              seen.push(entry)
              response.writeHead(504, { 'access-control-allow-origin': request.headers.origin ?? '*', 'content-type': 'text/plain' }).end('gateway timeout')
              return
            }
            entry.status = answer.statusCode ?? 0
            seen.push(entry)
            response.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(answerChunks))
          })
        })
        upstream.end(body)
      })
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    apiHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`

    pageServer = http.createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      if (path === '/analytics-next.js') return response.writeHead(200, { 'content-type': 'application/javascript' }).end(bundle)
      if (path === '/favicon.ico') return response.writeHead(404).end()
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(shopPage(path))
    })
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve))
    site = `http://localhost:${(pageServer.address() as AddressInfo).port}`
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        // Any host but this machine's is unresolvable: a CDN fetch would fail (and be seen below).
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
      ],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => pageServer?.close(resolve))
    await new Promise((resolve) => proxy?.close(resolve))
  })

  /**
   * The shop's page: loads the library and starts it with the settings the CDN would otherwise
   * serve, the Segment.io destination pointed at the CDP. /batching uses batched delivery.
   */
  function shopPage(path: string): string {
    const deliveryStrategy = path.startsWith('/batching') ? { strategy: 'batching', config: { size: 3, timeout: 300 } } : undefined
    const settings = {
      writeKey: t.keys.ingest,
      cdnSettings: {
        integrations: { 'Segment.io': { apiKey: t.keys.ingest, apiHost, protocol: 'http', ...(deliveryStrategy ? { deliveryStrategy } : {}) } },
        // The library's own telemetry would go to api.segment.io: off, as a self-hosted setup wants it.
        metrics: { sampleRate: 0 },
      },
    }
    return `<!doctype html><html><head><meta charset="utf-8"><title>Shop ${path}</title>
      <script src="/analytics-next.js"></script>
      <script>window.analytics = AnalyticsBrowser.load(${JSON.stringify(settings)})</script>
      </head><body>shop</body></html>`
  }

  async function aVisitor(path: string): Promise<{ context: BrowserContext; page: Page; anonymousId: string }> {
    const context = await browser.newContext()
    context.on('request', (request) => requestedUrls.push(request.url()))
    const page = await context.newPage()
    await page.goto(site + path)
    const anonymousId = await page.evaluate(async () => {
      const [analytics] = await (window as unknown as { analytics: Promise<[{ user(): { anonymousId(): string } }]> }).analytics
      return analytics.user().anonymousId()
    })
    return { context, page, anonymousId }
  }

  /** Calls analytics[method](...args) in the page, as a shop's code does. */
  async function call(page: Page, method: 'page' | 'track' | 'identify', ...args: unknown[]): Promise<void> {
    await page.evaluate(
      ([m, a]) => {
        const analytics = (window as unknown as { analytics: Record<string, (...x: unknown[]) => Promise<unknown>> }).analytics
        void analytics[m as string]?.(...(a as unknown[]))
      },
      [method, args] as const,
    )
  }

  interface StoredEvent {
    type: string
    name: string
    properties: Record<string, unknown>
    anonymous_id: string | null
    message_id: string
  }

  async function eventsOf(cookie: string): Promise<StoredEvent[]> {
    const response = await t.app.inject({ method: 'GET', url: '/api/events', query: { cookie, limit: '100' }, headers: t.auth('read') })
    if (response.statusCode === 404) return []
    expect(response.statusCode).toBe(200)
    return response.json<{ events: StoredEvent[] }>().events.reverse()
  }

  /** Polls until `done` holds; conditions, not sleeps, so a slow machine is only slower. */
  async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + 20_000
    for (;;) {
      const value = await read()
      if (done(value)) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  const named = (events: StoredEvent[], name: string) => events.filter((e) => e.name === name)
  const posts = (path: string) => seen.filter((r) => r.method === 'POST' && r.path === path)
  const bodyOf = (r: SeenRequest) => JSON.parse(r.body) as Record<string, unknown> & { batch?: Array<Record<string, unknown>> }

  it('delivers page, identify and track per call to the short paths, and they land', async () => {
    const { page, anonymousId } = await aVisitor('/')
    await call(page, 'page')
    await call(page, 'track', 'Product Viewed', { sku: 'AN-1', category: 'tennis rackets', price: 120 })
    await call(page, 'identify', 'user-ada-1', { email: 'ada.next@example.com', name: 'Ada' })

    const events = await waitFor(() => eventsOf(anonymousId), (e) => e.length === 2, 'the page view and the track')
    expect(events.find((e) => e.type === 'page')).toMatchObject({ name: 'Page Viewed', properties: { path: '/', title: 'Shop /', url: `${site}/` } })
    expect(named(events, 'Product Viewed')[0]?.properties).toEqual({ sku: 'AN-1', category: 'tennis rackets', price: 120 })

    const person = await waitFor(() => t.user({ email: 'ada.next@example.com' }), (r) => r.status === 200, 'the identified person')
    expect(person.body.user_profile.cookies).toContain(anonymousId)
    expect(person.body.user_profile.traits).toMatchObject({ name: 'Ada' })
    expect(person.body.user_profile.interests).toContain('tennis rackets')

    // The proxy logs a request once its answer is back, which may be just after the store shows it.
    await waitFor(async () => ['/v1/p', '/v1/t', '/v1/i'].map((path) => posts(path).length), (counts) => counts.every((n) => n > 0), 'the proxy log')
    for (const path of ['/v1/p', '/v1/t', '/v1/i']) {
      const [request] = posts(path)
      expect(request?.status, path).toBe(200)
      expect(request?.headers['content-type']).toMatch(/^text\/plain/)
      expect(bodyOf(request as SeenRequest).writeKey).toBe(t.keys.ingest)
    }
    // The browser asked the server itself whether it may send Authorization, and was told yes.
    const preflight = seen.find((r) => r.method === 'OPTIONS' && r.path === '/v1/t')
    expect(preflight?.status).toBe(204)
    expect(String(preflight?.headers['access-control-request-headers'])).toContain('authorization')
  })

  it('retries an event the server was down for, and it is stored once (per-call delivery)', async () => {
    const { page, anonymousId } = await aVisitor('/')
    faults.push({ match: (r) => r.method === 'POST' && r.path === '/v1/t' && r.body.includes('"Checkout Started"'), kind: 'unavailable' })
    await call(page, 'track', 'Checkout Started', { step: 1 })

    const attempts = await waitFor(
      async () => posts('/v1/t').filter((r) => r.body.includes('"Checkout Started"')),
      (a) => a.some((r) => r.status === 200),
      'a retry that the server accepts',
    )
    expect(attempts[0]?.status).toBe(503)
    const retry = attempts.find((r) => r.status === 200) as SeenRequest
    // The library marks its retries with X-Retry-Count; Chromium itself may also re-send a request
    // on a dropped keep-alive connection, with the original's headers. Either way the header, when
    // present, counts retries, and what matters is the single stored event below.
    const counts = attempts.slice(1).map((a) => a.headers['x-retry-count'])
    expect(counts.every((c) => c === undefined || Number(c) >= 1), `per call: ${JSON.stringify(attempts.map((a) => [a.status, a.headers['x-retry-count']]))}`).toBe(true)
    expect(bodyOf(retry).messageId).toBe(bodyOf(attempts[0] as SeenRequest).messageId)
    // X-Retry-Count is not a CORS-safelisted header: the browser sent the retry only because the
    // server's own preflight allowed it.
    const preflights = seen.filter((r) => r.method === 'OPTIONS' && r.path === '/v1/t')
    expect(preflights.some((r) => r.status === 204 && String(r.answerHeaders['access-control-allow-headers']).includes('x-retry-count'))).toBe(true)
    const events = await waitFor(() => eventsOf(anonymousId), (e) => named(e, 'Checkout Started').length > 0, 'Checkout Started')
    expect(named(events, 'Checkout Started')).toHaveLength(1)
  })

  it('delivers in batches to /v1/b, and they land', async () => {
    const { page, anonymousId } = await aVisitor('/batching')
    await call(page, 'page')
    await call(page, 'track', 'Added to Cart', { sku: 'AN-2' })
    await call(page, 'identify', 'user-grace-1', { email: 'grace.batch@example.com' })
    await call(page, 'track', 'Cart Viewed')

    const events = await waitFor(() => eventsOf(anonymousId), (e) => e.length === 3, 'the batched events')
    expect(events.map((e) => e.name).sort()).toEqual(['Added to Cart', 'Cart Viewed', 'Page Viewed'])
    const person = await waitFor(() => t.user({ email: 'grace.batch@example.com' }), (r) => r.status === 200, 'the identified person')
    expect(person.body.user_profile.cookies).toContain(anonymousId)

    const batches = await waitFor(
      async () => posts('/v1/b').filter((r) => r.body.includes(anonymousId)),
      (b) => b.flatMap((r) => bodyOf(r).batch ?? []).length >= 4,
      'the proxy log of the batches',
    )
    expect(batches.flatMap((r) => bodyOf(r).batch ?? []).map((m) => m.type).sort()).toEqual(['identify', 'page', 'track', 'track'])
    expect(batches.every((r) => r.status === 200 && /^text\/plain/.test(String(r.headers['content-type'])))).toBe(true)
  })

  it('retries a batch whose answer was lost after the server stored it, and each event is stored once (batched delivery)', async () => {
    const { page, anonymousId } = await aVisitor('/batching')
    faults.push({ match: (r) => r.method === 'POST' && r.path === '/v1/b' && r.body.includes('"Order Completed"'), kind: 'gateway timeout' })
    await call(page, 'track', 'Payment Entered', { step: 2 })
    await call(page, 'track', 'Order Completed', { total: 42 })
    await call(page, 'track', 'Receipt Viewed')

    const attempts = await waitFor(
      async () => posts('/v1/b').filter((r) => r.body.includes('"Order Completed"')),
      (a) => a.some((r) => r.status === 200),
      'the retried batch',
    )
    expect(attempts[0]?.status).toBe(504)
    expect(JSON.parse(attempts[0]?.answer ?? '{}')).toMatchObject({ success: true, accepted: 3 })
    const retry = attempts.find((r) => r.status === 200) as SeenRequest
    const batchCounts = attempts.slice(1).map((a) => a.headers['x-retry-count'])
    expect(batchCounts.every((c) => c === undefined || Number(c) >= 1), `batched: ${JSON.stringify(attempts.map((a) => [a.status, a.headers['x-retry-count'], a.body.length]))}`).toBe(true)
    // The server had them already: the retry is recognised by messageId, not stored again.
    expect(JSON.parse(retry.answer)).toMatchObject({ success: true, accepted: 0, duplicates: 3 })
    const events = await eventsOf(anonymousId)
    for (const name of ['Payment Entered', 'Order Completed', 'Receipt Viewed']) expect(named(events, name), name).toHaveLength(1)
  })

  // Not page.route(): with routing on, Playwright answers CORS preflights itself, and the server's
  // own preflight answers are what these tests are about. So other hosts are made unresolvable
  // (--host-resolver-rules) and every request the pages made is checked here.
  it('made no request to any host but this machine (no CDN, no telemetry)', () => {
    expect(requestedUrls.length).toBeGreaterThan(0)
    expect(requestedUrls.filter((url) => !LOCAL_HOSTS.has(new URL(url).hostname))).toEqual([])
  })
})
