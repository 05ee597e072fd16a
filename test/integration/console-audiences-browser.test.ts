// The console's Cohorts page and audience builder in headless Chromium, against a real listening
// server over a fresh test database, with the console built by Vite into a throwaway folder.
// Checked where it lands: the preview count against POST /api/segments/preview, the saved segment
// through GET /api/segments, a new member's entry on the live change stream panel.
// CDP_CONSOLE_SCREENSHOTS=1 also writes docs/console/{cohorts,cohorts-playground,audiences,audiences-live}.png (1280x800).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const INSTALL_HINT = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (Debian's package; playwright-core drives it)`
if (!hasChromium) console.warn(`console browser tests skipped: ${INSTALL_HINT}`)

const root = path.resolve(import.meta.dirname, '../..')
const SCREENSHOTS = process.env.CDP_CONSOLE_SCREENSHOTS === '1' ? path.join(root, 'docs', 'console') : undefined

/** Builds web/ with Vite into a new temporary folder (the same build scripts/build.mjs runs) and returns it. */
function buildConsole(): string {
  const out = mkdtempSync(path.join(os.tmpdir(), 'cdp-console-'))
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js')
  const built = spawnSync(process.execPath, [vite, 'build', path.join(root, 'web'), '--outDir', out, '--emptyOutDir', '--bypass-lock', '--logLevel', 'error'], { cwd: root, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`)
  return out
}

/** Waits for a condition in the page (expect.poll's default second is short for a backfill on a busy machine). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000 })

describe.skipIf(!hasChromium)(`console: cohorts and audiences in headless Chromium (skipped when ${INSTALL_HINT})`, () => {
  let t: TestApp
  let app: FastifyInstance
  let browser: Browser
  let page: Page
  let consoleDir: string
  let origin: string
  let receiver: http.Server
  const deliveries: Array<{ changes: Array<{ profile_id: string; change: string }> }> = []
  let segmentId: string

  const api = async <T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> => {
    const response = await app.inject({ method, url, headers: { ...t.auth('admin'), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, payload: body === undefined ? undefined : JSON.stringify(body) })
    expect(response.statusCode, response.body).toBeLessThan(300)
    return response.json() as T
  }
  const screenshot = async (name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) })
  }
  const profileIdOf = async (cookie: string) => (await api<{ user_profile: { profile_id: string } }>('GET', `/api/user?cookie=${cookie}`)).user_profile.profile_id

  beforeAll(async () => {
    consoleDir = buildConsole()
    // background: backfills and the scheduler run, as in the server (npm start).
    // The webhook receiver below listens on loopback, allowed by the setting made for it.
    t = await createTestApp({ CDP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }, { background: true }, { consoleDir })
    receiver = http.createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      request.on('end', () => {
        deliveries.push(JSON.parse(body) as { changes: Array<{ profile_id: string; change: string }> })
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    app = t.app
    await app.listen({ port: 0, host: '127.0.0.1' })
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const people = [
      { cookie: 'fan-25', demographics: { age: 25 }, interests: ['Tom Brady'] },
      { cookie: 'fan-31', demographics: { age: 31 }, interests: ['Lionel Messi'] },
      { cookie: 'fan-52', demographics: { age: 52 }, interests: ['Serena Williams'] },
      { cookie: 'cook-33', demographics: { age: 33 }, interests: ['sourdough recipes'] },
      { cookie: 'shoes-40', demographics: { age: 40 }, interests: ['nike shoes'] },
    ]
    expect((await t.ingest(people)).status).toBe(200)
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.setDefaultTimeout(20_000)
    await page.goto(`${origin}/`)
    await page.fill('#api-key', t.keys.admin)
    await page.click('button[type=submit]')
    await page.waitForSelector('header.top nav')
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => receiver?.close(resolve))
    await t?.close()
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true })
  })

  it('the classifier playground shows "Tom Brady" → Sports, and why', async () => {
    await page.goto(`${origin}/#/cohorts`)
    await page.waitForSelector('[data-testid=cohort-sizes-chart] canvas')
    await page.fill('#playground-interests', 'Tom Brady\nsourdough recipes')
    const sports = page.locator('[data-testid=classifications] li[data-interest="Tom Brady"] .cohort-badge[data-cohort="Sports"]')
    await sports.waitFor()
    await page.locator('li[data-interest="Tom Brady"] summary').click()
    await eventually(() => page.locator('li[data-interest="Tom Brady"] .why').innerText()).toContain('“tom brady” is Sports')
    await page.locator('.playground').scrollIntoViewIfNeeded()
    await screenshot('cohorts-playground')
    await page.evaluate(() => window.scrollTo(0, 0))
    // A cohort's members, paged: Sports has the three fans.
    await page.getByRole('button', { name: 'Sports', exact: true }).click()
    await eventually(() => page.locator('.cohort-members h2').innerText()).toContain('Members of Sports (3)')
    await eventually(() => page.locator('.cohort-members tbody tr').count()).toBe(3)
    await screenshot('cohorts')
  })

  it('builds a segment whose live count matches the preview API, saves it, and shows a new member entering live', async () => {
    await page.goto(`${origin}/#/audiences`)
    await page.waitForSelector('[data-testid=preview-count][data-state=done]')
    // The starter definition is "age between 25 and 44"; make it 25–35 and add the Sports cohort.
    await page.getByRole('textbox', { name: 'all.0 high' }).fill('35')
    await page.getByRole('button', { name: 'add cohort to group root' }).click()
    await page.getByRole('combobox', { name: 'all.1 cohort' }).selectOption('Sports')
    await page.getByRole('spinbutton', { name: 'all.1 minimum score' }).fill('0.5')
    const conditions = {
      all: [
        { field: 'age', op: 'between', value: [25, 35] },
        { cohort: 'Sports', min_score: 0.5 },
      ],
    }
    // The JSON view follows the visual editor.
    await eventually(async () => JSON.parse(await page.locator('#definition-json').inputValue())).toEqual(conditions)
    const expected = await api<{ count: number }>('POST', '/api/segments/preview', { conditions, required_consent: [] })
    expect(expected.count).toBe(2)
    const count = page.locator('[data-testid=preview-count][data-state=done]')
    await eventually(() => count.innerText()).toBe(String(expected.count))
    await eventually(() => page.locator('.preview tbody tr').count()).toBe(2)

    await page.getByRole('textbox', { name: 'Name' }).fill('Young sports fans')
    await page.getByRole('button', { name: 'Save audience' }).click()
    await eventually(() => page.locator('[data-testid=save-message]').innerText()).toContain('Saved “Young sports fans” as version 1')
    const [saved] = await api<Array<{ id: string; name: string; conditions: unknown }>>('GET', '/api/segments')
    expect(saved).toMatchObject({ name: 'Young sports fans', conditions })
    segmentId = saved?.id ?? ''
    // The open segment is in the address, so a reload comes back to it.
    expect(page.url()).toBe(`${origin}/#/audiences/${segmentId}`)
    await eventually(() => page.locator('[data-testid=segment-state]').innerText()).toBe('2 members')
    await page.locator('[data-testid=stream-status]', { hasText: /^live$/ }).waitFor()

    expect((await t.ingest({ cookie: 'new-fan', demographics: { age: 28 }, interests: ['Tom Brady'] })).status).toBe(200)
    const newcomer = await profileIdOf('new-fan')
    await page.locator(`[data-testid=changes] li.entered[data-profile="${newcomer}"]`).waitFor()
    await eventually(() => page.locator('[data-testid=segment-state]').innerText()).toBe('3 members')
    await page.locator('.change-stream').scrollIntoViewIfNeeded()
    await screenshot('audiences-live')
  })

  it('edits with the keyboard alone: adds an event with a window, a count and a property filter', async () => {
    const add = page.getByRole('button', { name: 'add event to group root' })
    await add.focus()
    await page.keyboard.press('Enter')
    const name = page.getByLabel('all.2 event name', { exact: true })
    await name.focus()
    await page.keyboard.press('Control+A')
    await page.keyboard.type('Order Completed')
    // Focus is visible on whatever the keyboard reaches.
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).toBe('solid')
    await page.getByRole('checkbox', { name: 'all.2 count occurrences' }).focus()
    await page.keyboard.press('Space')
    await page.getByRole('combobox', { name: 'all.2 count operator' }).selectOption('eq')
    await page.getByRole('textbox', { name: 'all.2 count value' }).fill('0')
    await page.getByRole('button', { name: 'add a property filter to all.2' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('textbox', { name: 'all.2 property 1 value' }).fill('shoes')
    const event = { event: 'Order Completed', within_last: { days: 30 }, count: { op: 'eq', value: 0 }, where: [{ property: 'category', op: 'eq', value: 'shoes' }] }
    await eventually(async () => (JSON.parse(await page.locator('#definition-json').inputValue()) as { all: unknown[] }).all[2]).toEqual(event)
    const conditions = JSON.parse(await page.locator('#definition-json').inputValue()) as unknown
    const expected = await api<{ count: number }>('POST', '/api/segments/preview', { conditions, required_consent: [] })
    await eventually(() => page.locator('[data-testid=preview-count][data-state=done]').innerText()).toBe(String(expected.count))
    expect(await page.locator('[data-testid=preview-error]').count()).toBe(0)
    await page.evaluate(() => window.scrollTo(0, 0))
    await screenshot('audiences')
  })

  it('saves a second version, registers a webhook that delivers, and exports the members', async () => {
    // Text that is not JSON yet is kept with its parse error; the API's validation message is shown as it is.
    const json = page.locator('#definition-json')
    await json.fill('{"all": [')
    await eventually(() => page.locator('#definition-json-error').innerText()).not.toBe('')
    await json.fill(JSON.stringify({ all: [{ field: 'age', op: 'gte ', value: 30 }] }))
    await eventually(() => page.locator('[data-testid=preview-error]').innerText()).toContain('conditions.all[0].op: unknown operator "gte "')
    // A typed JSON definition replaces the visual editor's state.
    await page.locator('#definition-json').fill(JSON.stringify({ all: [{ field: 'age', op: 'between', value: [25, 35] }, { cohort: 'Sports', min_score: 0.5 }] }))
    await eventually(() => page.getByRole('textbox', { name: 'all.0 high' }).inputValue()).toBe('35')
    await page.getByRole('button', { name: 'Save as version 2' }).click()
    await eventually(() => page.locator('[data-testid=save-message]').innerText()).toContain('as version 2')
    await page.getByRole('tab', { name: 'Versions' }).click()
    await eventually(() => page.locator('.versions > li').count()).toBe(2)

    await page.getByRole('tab', { name: 'Webhooks' }).click()
    await page.getByRole('textbox', { name: 'URL' }).fill(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`)
    await page.getByRole('button', { name: 'Add webhook' }).click()
    await eventually(() => page.locator('p.ok', { hasText: 'Signing secret' }).count()).toBe(1)
    expect((await t.ingest({ cookie: 'late-fan', demographics: { age: 29 }, interests: ['Tom Brady'] })).status).toBe(200)
    const lateFan = await profileIdOf('late-fan')
    await eventually(() => deliveries.flatMap((d) => d.changes).map((c) => `${c.change} ${c.profile_id}`)).toContain(`entered ${lateFan}`)
    await eventually(() => page.locator('[role=tabpanel] tbody tr td:nth-child(3)').innerText()).not.toBe('never')

    await page.getByRole('tab', { name: 'Export' }).click()
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download CSV' }).click()
    const file = await (await download).path()
    const csv = readFileSync(file, 'utf8')
    expect(csv).toContain(lateFan)
    expect(csv.trim().split('\n')).toHaveLength(1 + 4)
  })

  it('shows a read key everything and no action that changes data', async () => {
    const reader = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await reader.goto(`${origin}/`)
    await reader.fill('#api-key', t.keys.read)
    await reader.click('button[type=submit]')
    await reader.waitForSelector('header.top nav')
    await reader.goto(`${origin}/#/audiences/${segmentId}`)
    await reader.locator('[data-testid=segment-state]').waitFor()
    await eventually(() => reader.locator('[data-testid=preview-count][data-state=done]').innerText()).toBe('4')
    expect(await reader.getByRole('button', { name: /^Save/ }).count()).toBe(0)
    expect(await reader.getByRole('button', { name: 'Delete' }).count()).toBe(0)
    expect(await reader.getByRole('tab', { name: 'Webhooks' }).count()).toBe(0)
    await reader.goto(`${origin}/#/cohorts`)
    await reader.locator('[data-testid=classifications] li').first().waitFor()
    expect(await reader.getByRole('heading', { name: 'New custom cohort' }).count()).toBe(0)
    expect(await reader.getByRole('button', { name: 'Save correction' }).count()).toBe(0)
    await reader.close()
  })
})
