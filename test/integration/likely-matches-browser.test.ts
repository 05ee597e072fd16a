// The console's likely matches page end to end: a real listening server (CDP_LIKELY_MATCHES=on) over a
// fresh test database serves a fresh build of web/, and headless Chromium lists a link and joins the
// pair through the manual merge.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const INSTALL_HINT = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (Debian's package; playwright-core drives it)`
if (!hasChromium) console.warn(`likely matches browser test skipped: ${INSTALL_HINT}`)

const ROOT = path.resolve(import.meta.dirname, '../..')
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1'
const BASE = Date.UTC(2026, 2, 2, 9, 0)

describe.skipIf(!hasChromium)(`the likely matches page in headless Chromium (skipped when ${INSTALL_HINT})`, () => {
  let t: TestApp
  let browser: Browser
  let origin: string
  let buildDir: string

  beforeAll(async () => {
    buildDir = mkdtempSync(path.join(os.tmpdir(), 'cdp-console-likely-'))
    const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js')
    const built = spawnSync(process.execPath, [vite, 'build', path.join(ROOT, 'web'), '--outDir', buildDir, '--emptyOutDir', '--bypass-lock', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' })
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`)
    t = await createTestApp({ CDP_LIKELY_MATCHES: 'on' }, {}, { consoleDir: buildDir })
    // One phone, two site contexts (two cookies), seen together on three mornings.
    const batch = [0, 1, 2].flatMap((day) =>
      ['shop-cookie', 'help-cookie'].map((anonymousId, i) => ({
        type: 'page',
        anonymousId,
        messageId: `likely-${day}-${anonymousId}`,
        timestamp: new Date(BASE + day * 86_400_000 + i * 120_000).toISOString(),
        context: { ip: '198.51.100.77', userAgent: PHONE },
      })),
    )
    const sent = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...t.auth('ingest'), 'content-type': 'application/json' }, payload: { batch } })
    expect(sent.statusCode, sent.body).toBe(200)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
    if (buildDir) rmSync(buildDir, { recursive: true, force: true })
  })

  it('lists a likely match with its cookies and evidence, and joins the pair through the manual merge', async () => {
    const profileOf = async (cookie: string) => (await t.user({ cookie })).body.user_profile.profile_id
    const [shop, help] = [await profileOf('shop-cookie'), await profileOf('help-cookie')]
    expect(shop).not.toBe(help)
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    await page.getByLabel('API key').fill(t.keys.admin)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Likely matches', exact: true }).click()
    await page.getByRole('heading', { name: 'Likely matches' }).waitFor()
    const table = page.getByRole('table', { name: 'Likely matches' })
    await table.getByText('shop-cookie').waitFor()
    expect(await table.getByText('help-cookie').count()).toBe(1)
    expect(await table.getByText('198.51.100.77').count()).toBe(1)
    // The pair in id order: the first absorbs the second.
    const [into, from] = [shop, help].sort() as [string, string]
    await page.getByRole('button', { name: `Join ${from} into ${into}` }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Join' }).click()
    await page.getByRole('status').getByText(`Joined ${from} into ${into}`).waitFor()
    await page.getByText('No likely matches at this confidence.').waitFor()
    expect(await profileOf('help-cookie')).toBe(into)
    expect(await profileOf('shop-cookie')).toBe(into)
    const merges = await t.app.inject({ method: 'GET', url: '/api/user/merges', query: { profile_id: into }, headers: t.auth('read') })
    expect((merges.json() as { merges: Array<{ reason: string }> }).merges.map((m) => m.reason)).toContain('manual')
    await context.close()
  })

  it('is not shown to a read key', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    await page.getByLabel('API key').fill(t.keys.read)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const nav = page.getByRole('navigation', { name: 'Console' })
    await nav.getByRole('link', { name: 'People', exact: true }).waitFor()
    expect(await nav.getByRole('link', { name: 'Likely matches', exact: true }).count()).toBe(0)
    await context.close()
  })
})
