// `npm run demo:video`: records a walkthrough of the demo (docs/demo.md, "The video"). It starts the
// demo (`cdp demo`), drives Debian's Chromium with playwright-core through a fixed script of steps,
// records Chromium's own screencast (DevTools Page.startScreencast frames) with a caption per step
// injected into the page, and encodes the frames with Debian's ffmpeg into a 1280x720 H.264 MP4.
//   node scripts/demo-video.mjs [--seconds 300] [--out docs/demo/walkthrough.mp4] [--stills DIR]
//                               [--visitors N] [--tsx]   (--tsx: run src/ through tsx instead of dist/)
// Exit 2 when Chromium or ffmpeg is missing. The demo's data dir is CDP_DATA_DIR (default ./data/demo).
/* global fetch, document */ // document: inside page.evaluate, which runs in the browser
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const CHROMIUM = '/usr/bin/chromium'
const WIDTH = 1280
const HEIGHT = 720
const FPS = 25

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    out: { type: 'string', default: 'docs/demo/walkthrough.mp4' },
    stills: { type: 'string' },
    visitors: { type: 'string' },
    tsx: { type: 'boolean', default: false },
  },
})
const targetSeconds = Number(options.seconds)
if (!(targetSeconds >= 5)) fail('--seconds must be a number of seconds, at least 5', 2)

function fail(message, code = 1) {
  process.stderr.write(`demo:video: ${message}\n`)
  process.exit(code)
}

if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: install Debian's package with \`apt-get install -y chromium\``, 2)
if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) fail('ffmpeg is missing: install Debian\'s package with `apt-get install -y ffmpeg`', 2)

/** The demo as its own process; resolves with its URL and printed output once it listens. */
function startDemo() {
  const args = options.tsx ? ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'demo'] : [path.join(ROOT, 'dist/main.js'), 'demo']
  if (options.visitors) args.push('--visitors', options.visitors)
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, PORT: process.env.PORT ?? '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk.toString()
      const listening = /CDP demo listening on (http:\/\/\S+?);/.exec(output)
      if (listening) resolve({ child, url: listening[1], output })
    })
    child.once('exit', (code) => reject(new Error(`the demo exited with ${code} before listening:\n${output}`)))
  })
}

const demo = await startDemo()
const printed = demo.output
const readKey = /read-only key:\s+(\S+)/.exec(printed)?.[1]
const adminKey = /admin key:\s+(\S+)/.exec(printed)?.[1]
const email = /api\/user\?email=([^&' ]+)/.exec(printed)?.[1]
const mergedCookie = /two devices[^\n]*\ncurl -s '[^']*cookie=([^'&]+)/.exec(printed)?.[1]
const mergedEmail = /api\/user\/merges\?email=([^'& ]+)/.exec(printed)?.[1]
if (!readKey || !adminKey || !email) fail(`could not read the credentials and examples the demo printed:\n${printed}`)

// The walkthrough: a caption and a planned dwell time per step (seconds of the full ~5-minute video;
// --seconds scales them). Every step is fixed: the same demo gives the same video.
const base = demo.url
const api = (p) => `${base}${p}`
const steps = [
  { caption: 'CDP: an open-source Customer Data Platform. This is `npm run demo`: a shop with 20,000 visitors over 30 days.', seconds: 12, run: (page) => page.goto(api('/')) },
  { caption: 'Sign in to the console with the demo admin key (a read-only key sees everything and changes nothing).', seconds: 14, run: signIn },
  { caption: 'The console\'s pages: overview, people, cohorts, audiences, data, keys.', seconds: 40, run: visitConsolePages },
  { caption: 'The API reference at /docs: every endpoint, typed from its schema (OpenAPI at /openapi.json).', seconds: 20, run: (page) => page.goto(api('/docs')) },
  { caption: 'GET /api/user?email=…: a signed-in customer: identifiers, location, demographics, interests, cohorts, segments.', seconds: 24, run: (page) => showJson(page, `/api/user?email=${email}`) },
  { caption: 'explain=1: why this person is in each cohort (the interest, the gazetteer entry, the model\'s features) and each segment.', seconds: 24, run: (page) => showJson(page, `/api/user?email=${email}&explain=1`) },
  { caption: 'Why "Tom Brady" is Sports: POST /api/classify with explain (the gazetteer knows the athlete).', seconds: 20, run: (page) => postJson(page, '/api/classify', { interests: ['Tom Brady', 'camping gear'], explain: true }, readKey) },
  ...(mergedCookie
    ? [
        { caption: 'A customer who signed in on a phone and a laptop: one profile, both cookies.', seconds: 20, run: (page) => showJson(page, `/api/user?cookie=${mergedCookie}`) },
        { caption: 'The merge that joined the two devices: the rule, the identifier and the raw record behind it.', seconds: 18, run: (page) => showJson(page, `/api/user/merges?email=${mergedEmail}`) },
      ]
    : []),
  { caption: 'POST /api/ingest: a new record. The profile, its cohorts and segments are current when the request returns.', seconds: 18, run: (page) => postJson(page, '/api/ingest', { cookie: 'video-visitor-1', email: 'video.viewer@example.com', demographics: { age: 33 }, interests: ['tom brady', 'running shoes'] }, adminKey) },
  { caption: 'GET /api/user: the new person, already in Sports and in "Sports fans 25–44".', seconds: 16, run: (page) => showJson(page, '/api/user?email=video.viewer@example.com') },
  { caption: 'GET /api/cohort/users?cohort=Sports: the members of an interest cohort, paged.', seconds: 16, run: (page) => showJson(page, '/api/cohort/users?cohort=Sports&limit=5') },
  { caption: 'The saved audiences with their sizes: cart abandoners, sports fans 25–44, high spenders, a consent-gated newsletter.', seconds: 18, run: (page) => showJson(page, '/api/segments') },
  { caption: 'Preview an audience before saving it: POST /api/segments/preview gives the count and a sample.', seconds: 18, run: (page) => postJson(page, '/api/segments/preview', { conditions: { all: [{ cohort: 'Outdoor' }, { event: 'Product Viewed', within_last: { days: 7 } }] } }, adminKey) },
  { caption: 'The "High spenders" webhook: its deliveries to the demo\'s local receiver, with their status.', seconds: 18, run: (page) => showJson(page, `/api/segments/${encodeURIComponent('High spenders')}/webhooks`, adminKey) },
  { caption: 'That is the demo: `npm run demo` prints these credentials and calls; `npm run demo -- --reset` starts over.', seconds: 10, run: (page) => page.goto(api('/docs')) },
]
const planned = steps.reduce((sum, s) => sum + s.seconds, 0)
const scale = targetSeconds / planned

async function signIn(page) {
  await page.goto(api('/'))
  // The console's sign-in form: the first text or password field takes the key.
  const field = page.locator('input[type="password"], input[type="text"], input:not([type])').first()
  if ((await field.count()) === 0) return
  await field.fill(adminKey)
  await field.press('Enter')
  await page.waitForLoadState('networkidle').catch(() => {})
}

// The console's own navigation decides which pages exist (the branch may have only some of them).
let consoleLinks = []
async function visitConsolePages(page, dwellMs) {
  consoleLinks = await page
    .locator('nav a[href], header a[href]')
    .evaluateAll((links) => links.map((a) => ({ href: a.getAttribute('href'), text: (a.textContent ?? '').trim() })).filter((l) => l.href && !l.href.startsWith('http')))
    .catch(() => [])
  const pages = consoleLinks.slice(0, 8)
  for (const link of pages) {
    await page.goto(new URL(link.href, `${base}/`).href)
    await page.waitForLoadState('networkidle').catch(() => {})
    await setCaption(page, `Console: ${link.text || link.href}`)
    await page.waitForTimeout(Math.max(300, dwellMs / pages.length))
  }
}

/** GET: the call and its answer side by side. */
function showJson(page, pathAndQuery, key = readKey) {
  return showCall(page, { method: 'GET', pathAndQuery, key })
}

function postJson(page, pathAndQuery, body, key) {
  return showCall(page, { method: 'POST', pathAndQuery, body, key })
}

/**
 * A call made from here and rendered as a page: the request (as curl would send it) beside the
 * answer, pretty-printed. A browser cannot send a key or a POST from its address bar.
 */
async function showCall(page, { method, pathAndQuery, body, key }) {
  const response = await fetch(api(pathAndQuery), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const answer = await response.text()
  let pretty = answer
  try {
    pretty = JSON.stringify(JSON.parse(answer), null, 2)
  } catch {
    // not JSON: shown as received
  }
  const escape = (text) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;')
  const request = `${method} ${decodeURIComponent(pathAndQuery)}\nAuthorization: Bearer ${key === adminKey ? '<admin key>' : '<read-only key>'}${body ? `\n\n${JSON.stringify(body, null, 2)}` : ''}`
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><title>${escape(method)} ${escape(pathAndQuery)}</title></head>
    <body style="margin:0;font:13px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;display:flex;gap:16px;padding:16px;background:#fff;color:#111;height:100vh;box-sizing:border-box">
    <pre style="flex:1;background:#eef2ff;padding:12px;margin:0;white-space:pre-wrap;overflow:hidden">${escape(request)}</pre>
    <pre style="flex:1.6;background:#f4f4f5;padding:12px;margin:0;white-space:pre-wrap;overflow:hidden;max-height:600px">HTTP ${response.status}\n\n${escape(pretty.slice(0, 6000))}</pre></body></html>`)
}

async function setCaption(page, text) {
  await page
    .evaluate((caption) => {
      let element = document.getElementById('cdp-demo-caption')
      if (!element) {
        element = document.createElement('div')
        element.id = 'cdp-demo-caption'
        element.setAttribute('style', 'position:fixed;left:0;right:0;bottom:0;z-index:2147483647;padding:14px 24px;background:rgba(17,24,39,.88);color:#fff;font:20px/1.35 system-ui,sans-serif;text-align:center')
        document.documentElement.appendChild(element)
      }
      element.textContent = caption
    }, text)
    .catch(() => {}) // a page that navigated meanwhile gets the caption at the next step
}

const { chromium } = await import('playwright-core')
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const frameDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-demo-video-'))
const frames = [] // { file, at } with `at` in seconds (the screencast's own timestamps)
const stills = []
try {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 })
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  cdp.on('Page.screencastFrame', (frame) => {
    const file = path.join(frameDir, `frame-${String(frames.length).padStart(6, '0')}.jpg`)
    fs.writeFileSync(file, Buffer.from(frame.data, 'base64'))
    frames.push({ file, at: frame.metadata.timestamp ?? Date.now() / 1000 })
    cdp.send('Page.screencastFrameAck', { sessionId: frame.sessionId }).catch(() => {})
  })
  await cdp.send('Page.startScreencast', { format: 'jpeg', quality: 85, maxWidth: WIDTH, maxHeight: HEIGHT, everyNthFrame: 1 })
  for (const [index, step] of steps.entries()) {
    const dwellMs = step.seconds * scale * 1000
    const started = Date.now()
    process.stdout.write(`step ${index + 1}/${steps.length}: ${step.caption}\n`)
    await step.run(page, dwellMs)
    await page.waitForLoadState('load').catch(() => {})
    await setCaption(page, step.caption)
    const left = dwellMs - (Date.now() - started)
    if (left > 0) await page.waitForTimeout(left)
    if (options.stills) stills.push({ index, buffer: await page.screenshot({ type: 'png' }) })
  }
  await cdp.send('Page.stopScreencast')
  frames.push({ file: frames.at(-1)?.file, at: Date.now() / 1000 })
} finally {
  await browser.close()
  demo.child.kill('SIGTERM')
}

if (frames.length < 2 || !frames[0].file) fail('Chromium sent no screencast frames')
// Frames arrive when the page repaints, so each one lasts until the next: ffmpeg's concat list gives
// every frame its duration, and the output is resampled to a constant 25 frames per second.
const list = frames
  .slice(0, -1)
  .map((frame, i) => `file '${frame.file}'\nduration ${Math.max(0.001, frames[i + 1].at - frame.at).toFixed(3)}`)
  .join('\n')
const listFile = path.join(frameDir, 'frames.txt')
fs.writeFileSync(listFile, `${list}\nfile '${frames.at(-2).file}'\n`)
const out = path.resolve(ROOT, options.out)
fs.mkdirSync(path.dirname(out), { recursive: true })
const encoded = spawnSync(
  'ffmpeg',
  ['-y', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listFile,
    '-vf', `scale=${WIDTH}:${HEIGHT}:force_original_aspect_ratio=decrease,pad=${WIDTH}:${HEIGHT}:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p`,
    '-r', String(FPS), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-movflags', '+faststart', out],
  { stdio: 'inherit' },
)
fs.rmSync(frameDir, { recursive: true, force: true })
if (encoded.status !== 0) fail(`ffmpeg failed (exit ${encoded.status})`)
if (options.stills) {
  const dir = path.resolve(ROOT, options.stills)
  fs.mkdirSync(dir, { recursive: true })
  for (const still of stills) fs.writeFileSync(path.join(dir, `step-${String(still.index + 1).padStart(2, '0')}.png`), still.buffer)
}
const size = fs.statSync(out).size
process.stdout.write(`wrote ${path.relative(ROOT, out)}: ${frames.length - 1} screencast frames, ${(size / 1e6).toFixed(1)} MB\n`)
