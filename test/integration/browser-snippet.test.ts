// The browser snippet end to end, as deployed: the real app serves /cdp.js and /v1/batch on one
// origin (cdp.test), a shop's pages on another (localhost) load it, and headless Chromium runs them.
// So the visitor cookie is first-party to the shop and every post to the CDP is cross-origin.
// Messages are checked where they land, through the API: GET /api/events and GET /api/user.
import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const INSTALL_HINT = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (Debian's package; playwright-core drives it)`
if (!hasChromium) console.warn(`browser snippet tests skipped: ${INSTALL_HINT}`)

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let t: TestApp

beforeAll(async () => {
  t = await createTestApp()
})

afterAll(async () => {
  await t?.close()
})

describe('GET /cdp.js', () => {
  it('serves the snippet without a key, cacheable, with a strong ETag', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/cdp.js' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/javascript; charset=utf-8')
    expect(response.headers['cache-control']).toBe('public, max-age=300')
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/)
    expect(response.headers['content-encoding']).toBeUndefined()
    expect(response.body).toContain('window.cdp = api')
  })

  it('sends gzip when the client accepts it, under its own ETag', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/cdp.js' })
    const zipped = await t.app.inject({ method: 'GET', url: '/cdp.js', headers: { 'accept-encoding': 'gzip, deflate, br' } })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toContain('Accept-Encoding')
    expect(zipped.rawPayload.length).toBeLessThan(5 * 1024)
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(plain.body)
    expect(zipped.headers.etag).not.toBe(plain.headers.etag)
    const refused = await t.app.inject({ method: 'GET', url: '/cdp.js', headers: { 'accept-encoding': 'gzip;q=0' } })
    expect(refused.headers['content-encoding']).toBeUndefined()
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/cdp.js', headers: { 'accept-encoding': 'gzip' } })
    const again = await t.app.inject({
      method: 'GET',
      url: '/cdp.js',
      headers: { 'accept-encoding': 'gzip', 'if-none-match': String(first.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers.etag).toBe(first.headers.etag)
  })
})

describe.skipIf(!hasChromium)(`browser snippet in headless Chromium (skipped when ${INSTALL_HINT})`, () => {
  let browser: Browser
  let pageServer: http.Server
  let apiOrigin: string
  let site: string

  /** The shop's pages. The path picks how the snippet is set up; every page loads it from the CDP. */
  function shopPage(path: string): string {
    const src = `${apiOrigin}/cdp.js`
    let tags: string
    if (path.startsWith('/manual')) {
      // Configured by hand, with a flush timer too long to fire: only the hidden-page beacon sends.
      tags = `<script src="${src}"></script>
        <script>cdp.init({ writeKey: ${JSON.stringify(t.keys.ingest)}, host: ${JSON.stringify(apiOrigin)}, flushInterval: 60000 })</script>`
    } else {
      // A 200 ms flush timer (the default is 1 s) keeps the test quick; data- attributes are init options.
      const key = path.startsWith('/bad-key') ? 'not-a-key' : t.keys.ingest
      tags = `<script src="${src}" data-write-key="${key}" data-flush-interval="200"${path.startsWith('/spa') ? ' data-spa="true"' : ''}></script>`
    }
    return `<!doctype html><html><head><meta charset="utf-8"><title>Shop ${path}</title></head><body>${tags}</body></html>`
  }

  beforeAll(async () => {
    const { chromium } = await import('playwright-core')
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    apiOrigin = `http://cdp.test:${(t.app.server.address() as AddressInfo).port}`
    pageServer = http.createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      if (path === '/favicon.ico') return response.writeHead(404).end()
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(shopPage(path))
    })
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve))
    // localhost is a secure context, like the https sites the snippet runs on in production.
    site = `http://localhost:${(pageServer.address() as AddressInfo).port}`
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--host-resolver-rules=MAP cdp.test 127.0.0.1'],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => pageServer?.close(resolve))
  })

  /** A new visitor: a browser context with its own cookies and storage (closed with the browser). */
  const aVisitor = (): Promise<BrowserContext> => browser.newContext()

  async function open(context: BrowserContext, path = '/'): Promise<Page> {
    const page = await context.newPage()
    await page.goto(site + path)
    await page.waitForFunction(() => typeof (window as { cdp?: unknown }).cdp === 'object')
    return page
  }

  /** Closes the tab as a visitor does, so pagehide fires (page.close() then does not wait: we do). */
  async function closeLikeAVisitor(page: Page): Promise<void> {
    const closed = page.waitForEvent('close')
    await page.close({ runBeforeUnload: true })
    await closed
  }

  // The renderer learns of the emulated outage asynchronously; until navigator.onLine turns
  // false, the snippet still believes it is online and a beacon at page close may get through.
  async function goOffline(context: BrowserContext, page: Page): Promise<void> {
    await context.setOffline(true)
    await page.waitForFunction(() => navigator.onLine === false)
  }

  const anonymousIdOf = (page: Page) => page.evaluate(() => (window as unknown as { cdp: { anonymousId(): string } }).cdp.anonymousId())
  const track = (page: Page, event: string, properties: Record<string, unknown> = {}) =>
    page.evaluate(([e, p]) => (window as unknown as { cdp: { track(e: string, p: unknown): void } }).cdp.track(e, p), [event, properties] as const)

  interface StoredEvent {
    type: string
    name: string
    properties: Record<string, unknown>
    anonymous_id: string | null
  }

  /** The visitor's events through the API, oldest first; none while no profile has the cookie. */
  async function eventsOf(cookie: string): Promise<StoredEvent[]> {
    const response = await t.app.inject({ method: 'GET', url: '/api/events', query: { cookie, limit: '100' }, headers: t.auth('read') })
    if (response.statusCode === 404) return []
    expect(response.statusCode).toBe(200)
    return response.json<{ events: StoredEvent[] }>().events.reverse()
  }

  /** Polls the events of a visitor until `done` holds for them. */
  async function waitForEvents(anonymousId: string, done: (events: StoredEvent[]) => boolean, what: string): Promise<StoredEvent[]> {
    const deadline = Date.now() + 8_000
    for (;;) {
      const events = await eventsOf(anonymousId)
      if (done(events)) return events
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the events of ${anonymousId}: ${JSON.stringify(events)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  const named = (events: StoredEvent[], name: string) => events.filter((e) => e.name === name)
  const pageViews = (events: StoredEvent[]) => events.filter((e) => e.type === 'page')

  describe('a visitor who browses, shops and logs in', () => {
    let context: BrowserContext
    let page: Page
    let id: string

    beforeAll(async () => {
      context = await aVisitor()
    })

    it('gets a first-party cookie with a random id on the first visit, and the page view arrives', async () => {
      page = await open(context, '/')
      id = await anonymousIdOf(page)
      expect(id).toMatch(UUID_V4)
      const [cookie] = await context.cookies(site)
      expect(cookie).toMatchObject({ name: 'cdp_id', value: id, domain: 'localhost', path: '/', sameSite: 'Lax', httpOnly: false })
      expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 364 * 86400)
      expect(await page.evaluate(() => localStorage.getItem('cdp_id'))).toBe(id)

      const events = await waitForEvents(id, (e) => pageViews(e).length === 1, 'the first page view')
      expect(pageViews(events)[0]).toMatchObject({ anonymous_id: id, properties: { url: `${site}/`, path: '/', title: 'Shop /' } })
    })

    it('keeps the same id on a reload, and restores a cleared cookie from localStorage', async () => {
      await page.reload()
      expect(await anonymousIdOf(page)).toBe(id)
      await context.clearCookies()
      await page.goto(`${site}/products/42`)
      expect(await anonymousIdOf(page)).toBe(id)
      expect((await context.cookies(site))[0]?.value).toBe(id)
      await waitForEvents(id, (e) => pageViews(e).length === 3, 'three page views under one id')
    })

    it('sends cdp.track with its properties', async () => {
      await track(page, 'Product Viewed', { sku: 'SKU-42', price: 19.99, tags: ['shoes'] })
      const events = await waitForEvents(id, (e) => named(e, 'Product Viewed').length === 1, 'Product Viewed')
      const event = named(events, 'Product Viewed')[0]
      expect(event?.type).toBe('track')
      expect(event?.properties).toEqual({ sku: 'SKU-42', price: 19.99, tags: ['shoes'] })
    })

    it('links the cookie to the email on cdp.identify', async () => {
      await page.evaluate(() =>
        (window as unknown as { cdp: { identify(e: string, t: unknown): void } }).cdp.identify('ada.lovelace@example.com', { first_name: 'Ada' }),
      )
      const deadline = Date.now() + 8_000
      let found = await t.user({ email: 'ada.lovelace@example.com' })
      while (found.status === 404 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        found = await t.user({ email: 'ada.lovelace@example.com' })
      }
      expect(found.status).toBe(200)
      expect(found.body.user_profile.cookies).toContain(id)
      const byCookie = await t.user({ cookie: id })
      expect(byCookie.body.user_profile.profile_id).toBe(found.body.user_profile.profile_id)
    })
  })

  it('makes an id from getRandomValues where crypto.randomUUID is missing (plain-http pages)', async () => {
    const context = await aVisitor()
    await context.addInitScript(() => {
      delete (Crypto.prototype as { randomUUID?: unknown }).randomUUID
    })
    const page = await open(context, '/')
    const id = await anonymousIdOf(page)
    expect(id).toMatch(UUID_V4)
    await waitForEvents(id, (e) => pageViews(e).length === 1, 'the page view')
  })

  it('queues while offline and delivers each message once when back online, or on the next page', async () => {
    const context = await aVisitor()
    const page = await open(context, '/cart')
    const id = await anonymousIdOf(page)
    await waitForEvents(id, (e) => pageViews(e).length === 1, 'the page view')

    await goOffline(context, page)
    await track(page, 'Checkout Started', { step: 1 })
    expect(await page.evaluate(() => localStorage.getItem('cdp_id_queue'))).toContain('Checkout Started')
    await context.setOffline(false)
    await waitForEvents(id, (e) => named(e, 'Checkout Started').length === 1, 'Checkout Started after going online')

    // Offline again, and the page closes: the message waits in localStorage and the next page sends
    // it. Whether the closing page still gets a copy out is the browser's business (under load,
    // Chromium's offline emulation let one through mid-unload); the server de-duplicates by
    // messageId, so the visitor's message is stored once either way.
    await goOffline(context, page)
    await track(page, 'Payment Entered', { step: 2 })
    expect(await page.evaluate(() => localStorage.getItem('cdp_id_queue'))).toContain('Payment Entered')
    await closeLikeAVisitor(page)
    await context.setOffline(false)
    const next = await open(context, '/cart')
    await waitForEvents(id, (e) => named(e, 'Payment Entered').length === 1, 'Payment Entered from the saved queue')
    await next.evaluate(() => (window as unknown as { cdp: { flush(): Promise<void> } }).cdp.flush())
    const events = await eventsOf(id)
    expect(named(events, 'Checkout Started')).toHaveLength(1)
    expect(named(events, 'Payment Entered')).toHaveLength(1)
  })

  it('keeps a batch the server failed (503) and retries it with backoff', async () => {
    const context = await aVisitor()
    let failures = 0
    // The CDP is down for the first request: the answer a proxy in front of it would give.
    await context.route(`${apiOrigin}/v1/batch`, (route) => {
      if (route.request().method() !== 'POST' || failures > 0) return route.continue()
      failures++
      return route.fulfill({ status: 503, headers: { 'access-control-allow-origin': '*' }, body: 'unavailable' })
    })
    const page = await open(context, '/')
    const id = await anonymousIdOf(page)
    const events = await waitForEvents(id, (e) => pageViews(e).length === 1, 'the page view, retried')
    expect(failures).toBe(1)
    expect(pageViews(events)).toHaveLength(1)
  })

  it('drops a message over 32 KB with a console warning, and sends the rest', async () => {
    const context = await aVisitor()
    const page = await open(context, '/')
    const id = await anonymousIdOf(page)
    const warning = page.waitForEvent('console', (m) => m.type() === 'warning' && m.text().includes('32 KB'))
    await track(page, 'Huge', { blob: 'x'.repeat(40 * 1024) })
    await track(page, 'Small', { ok: true })
    expect((await warning).text()).toContain('dropped')
    const events = await waitForEvents(id, (e) => named(e, 'Small').length === 1, 'the small event')
    expect(named(events, 'Huge')).toHaveLength(0)
  })

  it('hands the queue to sendBeacon when the page is hidden, with the write key in a text/plain body', async () => {
    const context = await aVisitor()
    const page = await open(context, '/manual')
    const id = await anonymousIdOf(page)
    await track(page, 'Wishlist Added', { sku: 'SKU-7' })
    expect(await eventsOf(id)).toHaveLength(0) // the flush timer is 60 s: nothing left yet

    const beacon = page.waitForRequest((r) => r.url() === `${apiOrigin}/v1/batch`)
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    const request = await beacon
    expect(request.headers()['content-type']).toMatch(/^text\/plain/)
    // No header could carry the key, so the server took it from the body ("writeKey").
    expect(request.headers().authorization).toBeUndefined()
    const events = await waitForEvents(id, (e) => named(e, 'Wishlist Added').length === 1 && pageViews(e).length === 1, 'the beacon')
    expect(named(events, 'Wishlist Added')[0]?.properties).toEqual({ sku: 'SKU-7' })
  })

  it('sends with sendBeacon when the page closes', async () => {
    const context = await aVisitor()
    const page = await open(context, '/manual')
    const id = await anonymousIdOf(page)
    await track(page, 'Newsletter Signup')
    await closeLikeAVisitor(page)
    await waitForEvents(id, (e) => named(e, 'Newsletter Signup').length === 1, 'the beacon on close')
  })

  it('records page views of history.pushState navigations with data-spa', async () => {
    const context = await aVisitor()
    const page = await open(context, '/spa')
    const id = await anonymousIdOf(page)
    await page.evaluate(() => history.pushState({}, '', '/spa/checkout?step=2'))
    const events = await waitForEvents(id, (e) => pageViews(e).length === 2, 'the pushState page view')
    expect(pageViews(events)[1]?.properties).toMatchObject({ path: '/spa/checkout', search: '?step=2', referrer: `${site}/spa` })
  })

  it('drops messages the server refuses (bad write key) with a console warning', async () => {
    const context = await aVisitor()
    const page = await context.newPage()
    const warning = page.waitForEvent('console', (m) => m.type() === 'warning' && m.text().includes('HTTP 401'))
    await page.goto(`${site}/bad-key`)
    expect((await warning).text()).toContain('dropped')
    expect(await page.evaluate(() => localStorage.getItem('cdp_id_queue'))).toBeNull()
  })
})
