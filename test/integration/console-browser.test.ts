// The console end to end: a real listening server over a fresh test database serves a fresh build of
// web/ (vite build into a temp folder), and headless Chromium signs in, finds a person, unmerges,
// uploads a CSV and checks that a read key sees no buttons that change anything.
// CDP_CONSOLE_SCREENSHOTS=1 also writes docs/console/*.png (1280x800) from the same deterministic data.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const INSTALL_HINT = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (Debian's package; playwright-core drives it)`
if (!hasChromium) console.warn(`console browser tests skipped: ${INSTALL_HINT}`)

const ROOT = path.resolve(import.meta.dirname, '../..')
const SCREENSHOTS = process.env.CDP_CONSOLE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/console') : undefined
const DAY = 86_400_000

describe.skipIf(!hasChromium)(`the console in headless Chromium (skipped when ${INSTALL_HINT})`, () => {
  let t: TestApp
  let browser: Browser
  let origin: string
  let buildDir: string
  let mergeId: number

  beforeAll(async () => {
    buildDir = mkdtempSync(path.join(os.tmpdir(), 'cdp-console-'))
    const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js')
    const built = spawnSync(process.execPath, [vite, 'build', path.join(ROOT, 'web'), '--outDir', buildDir, '--emptyOutDir', '--bypass-lock', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' })
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`)

    t = await createTestApp({ CDP_IDENTIFIERS: 'phone' }, { background: true, schedulerIntervalMs: 100 }, { consoleDir: buildDir })
    // Jane: a cookie with her email, then a second device that browsed anonymously and later signed in (a merge).
    const day = (n: number) => new Date(Date.now() - n * DAY).toISOString()
    await t.ingest([
      { cookie: 'jane-laptop', email: 'jane@example.com', phone: '+1 617 555 0100', identifiers: { device_id: 'jane-ipad' }, interests: ['tennis', 'running shoes'], location: { city: 'Boston', state: 'MA', country: 'USA' }, demographics: { age: 34 }, timestamp: day(6) },
      { cookie: 'jane-phone', interests: ['marathon training'], timestamp: day(5) },
      { cookie: 'jane-phone', email: 'jane@example.com', timestamp: day(4) },
      ...Array.from({ length: 24 }, (_, i) => ({
        cookie: `visitor-${i}`,
        ...(i % 3 === 0 ? { email: `shopper${i}@example.com` } : {}),
        interests: [['golf', 'yoga'], ['video games'], ['cooking', 'wine'], ['hiking']][i % 4],
        timestamp: day(i % 7),
      })),
    ])
    await t.ingest([{ cookie: 'bad-1', email: 'not-an-email' }], { source: 'crm' })
    const events = Array.from({ length: 40 }, (_, i) => ({
      type: 'track',
      event: i % 5 === 0 ? 'Order Completed' : 'Product Viewed',
      anonymousId: i % 2 === 0 ? 'jane-phone' : `visitor-${i % 24}`,
      messageId: `console-test-${i}`,
      timestamp: day(i % 10),
      properties: { sku: `SKU-${i}` },
    }))
    const batch = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: { batch: events } })
    expect(batch.statusCode).toBe(200)
    const merges = await t.app.inject({ method: 'GET', url: '/api/user/merges?email=jane@example.com', headers: t.auth('read') })
    const entry = (merges.json() as { merges: Array<{ id: number; reason: string }> }).merges.find((m) => m.reason === 'email_match' || m.reason === 'email_attached')
    if (!entry) throw new Error(`no merge to undo: ${merges.body}`)
    mergeId = entry.id
    for (const segment of [
      { name: 'Sports fans', conditions: { cohort: 'Sports' } },
      { name: 'Gamers', conditions: { cohort: 'Gaming' } },
    ]) {
      const created = await t.app.inject({ method: 'POST', url: '/api/segments', headers: t.auth('admin'), payload: segment })
      expect(created.statusCode).toBe(201)
    }
    await t.runtime.segments.idle()

    await t.app.listen({ port: 0, host: '127.0.0.1' })
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
    if (buildDir) rmSync(buildDir, { recursive: true, force: true })
  })

  async function signedIn(key: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Console' }).waitFor()
    return page
  }

  async function shoot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOTS) return
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) })
  }

  it('signs in with an admin key and shows the overview with its charts', async () => {
    // The overview's counts are a cached result: wait until it has seen the seeded data.
    await expect
      .poll(async () => ((await t.app.inject({ method: 'GET', url: '/api/stats', headers: t.auth('read') })).json() as { profiles: number | null }).profiles, { timeout: 20_000 })
      .toBe(25)
    const page = await signedIn(t.keys.admin)
    await page.getByRole('heading', { name: 'Overview' }).waitFor()
    await page.locator('.card').first().waitFor()
    // Digits once the counts are in (right after a start they may be pending for a moment).
    await expect.poll(() => page.locator('.card .value').first().textContent(), { timeout: 15_000 }).toMatch(/^\d+$/)
    await page.locator('.uplot').first().waitFor()
    const nav = page.getByRole('navigation', { name: 'Console' })
    for (const label of ['Overview', 'People', 'Cohorts', 'Audiences', 'Data', 'Keys']) expect(await nav.getByRole('link', { name: label, exact: true }).count()).toBe(1)
    await shoot(page, 'overview')
    await page.context().close()
  })

  it('finds a person by email and shows their merged cookies, then unmerges from the profile page', async () => {
    const page = await signedIn(t.keys.admin)
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People', exact: true }).click()
    await page.getByLabel('Identifier').fill('jane@example.com')
    await page.getByRole('button', { name: 'Find' }).click()
    const cookies = page.getByRole('list', { name: 'Cookies' })
    await cookies.getByText('jane-phone').waitFor()
    expect(await cookies.getByText('jane-laptop').count()).toBe(1)
    await page.getByRole('list', { name: 'Merge timeline' }).waitFor()
    await page.getByRole('list', { name: 'Events' }).waitFor()
    await shoot(page, 'profile')

    await page.getByRole('button', { name: `Unmerge #${mergeId}` }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('button', { name: 'Unmerge' }).click()
    // The profile is rebuilt without the phone's cookie; the page shows the result.
    await expect.poll(async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/user?email=jane@example.com', headers: t.auth('read') })
      return (response.json() as { user_profile: { cookies: string[] } }).user_profile.cookies
    }, { timeout: 15_000 }).toEqual(['jane-laptop'])
    await expect.poll(() => page.getByRole('list', { name: 'Cookies' }).getByText('jane-phone').count(), { timeout: 15_000 }).toBe(0)
    await page.context().close()
  })

  it('finds a person by phone or kind:value, guessing the kind, and lists their other identifiers', async () => {
    const page = await signedIn(t.keys.read)
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People', exact: true }).click()
    for (const typed of ['+1 617 555 0100', 'device_id:jane-ipad']) {
      await page.locator('#person-value').fill(typed)
      await page.getByRole('search').getByRole('button', { name: 'Find' }).click()
      const others = page.getByRole('list', { name: 'Other identifiers' })
      await others.getByText('+16175550100').waitFor()
      expect(await others.getByText('jane-ipad').count()).toBe(1)
      expect(await page.getByRole('list', { name: 'Cookies' }).getByText('jane-laptop').count()).toBe(1)
    }
    await page.context().close()
  })

  it('uploads a CSV with a progress bar and shows its quality report', async () => {
    const page = await signedIn(t.keys.admin)
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Data', exact: true }).click()
    const csv = 'cookie,email,interests\ncsv-1,ann@example.com,golf\ncsv-2,bob@,tennis\ncsv-3,cy@example.com,chess\n'
    await page.getByLabel('CSV or NDJSON file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    await page.getByRole('button', { name: 'Upload' }).click()
    const report = page.getByRole('region', { name: /Quality report/ })
    await report.waitFor()
    expect(await report.textContent()).toContain('partial')
    expect(await report.locator('dd').nth(0).textContent()).toBe('3')
    expect(await report.locator('dd').nth(2).textContent()).toBe('1')
    expect(await report.getByRole('table').textContent()).toContain('email')
    const ann = await t.user({ email: 'ann@example.com' })
    expect(ann.status).toBe(200)
    await page.getByLabel('Status').selectOption('rejected')
    await page.getByRole('button', { name: 'Show' }).click()
    await page.getByText('cdp replay').waitFor()
    // Replay from the page: the rules have not changed, so both rejected records (bad-1's and bob@'s) stay rejected.
    await page.getByRole('button', { name: 'Replay rejected records' }).click()
    await page.getByRole('status').filter({ hasText: 'Replayed 2' }).waitFor()
    expect(await page.getByRole('status').filter({ hasText: 'Replayed 2' }).textContent()).toContain('0 accepted, 2 still rejected')
    await shoot(page, 'data')
    await page.context().close()
  })

  it('creates a key, shown once, and lists it', async () => {
    const page = await signedIn(t.keys.admin)
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Keys', exact: true }).click()
    await page.getByLabel('Name').fill('marketing dashboard')
    await page.getByRole('button', { name: 'Create' }).click()
    const key = await page.locator('#new-key').textContent()
    expect(key).toMatch(/^cdp_/)
    await page.getByRole('cell', { name: 'marketing dashboard', exact: true }).waitFor()
    await shoot(page, 'keys')
    await page.context().close()
  })

  it('a read key sees everything and changes nothing: no erase, unmerge, data or keys', async () => {
    const page = await signedIn(t.keys.read)
    const nav = page.getByRole('navigation', { name: 'Console' })
    expect(await nav.getByRole('link', { name: 'Overview', exact: true }).count()).toBe(1)
    expect(await nav.getByRole('link', { name: 'Keys', exact: true }).count()).toBe(0)
    expect(await nav.getByRole('link', { name: 'Data', exact: true }).count()).toBe(0)
    await page.goto(`${origin}/#/people/email/jane@example.com`)
    await page.getByRole('list', { name: 'Cookies' }).waitFor()
    await page.getByRole('heading', { name: 'Identity graph' }).waitFor()
    expect(await page.getByRole('button', { name: 'Erase' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Export' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^Unmerge/ }).count()).toBe(0)
    await page.context().close()
  })

  it('works from the keyboard: sign in with Enter, the skip link first, Enter on a nav link', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    // The key field has the focus on arrival: the browser applies autofocus at its next rendering
    // update after the app mounts, so wait for it rather than type into whatever has the focus first.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 15_000 }).toBe('api-key')
    await page.keyboard.type(t.keys.read)
    await page.keyboard.press('Enter')
    await page.getByRole('navigation', { name: 'Console' }).waitFor()
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 15_000 }).toBe('main')
    // On a fresh load (the key stays in the tab), the first Tab reaches the skip link.
    await page.reload()
    await page.getByRole('navigation', { name: 'Console' }).waitFor()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main')
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People', exact: true }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'People' }).waitFor()
    await page.getByLabel('Identifier').focus()
    await page.keyboard.type('jane@example.com')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Identity graph' }).waitFor()
    await context.close()
  })

  it('shows the API error message when a key is wrong', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    await page.getByLabel('API key').fill('not-a-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').getByText('invalid or revoked API key').waitFor()
    if (SCREENSHOTS) {
      await page.setViewportSize({ width: 1280, height: 800 })
      await shoot(page, 'sign-in')
    }
    await context.close()
  })
})
