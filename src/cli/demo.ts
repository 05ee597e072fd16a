// `cdp demo` (`npm run demo`): the server on its own data dir, seeded once with a believable shop
// (cli/demo/shop.ts), with fixed test credentials, a local webhook receiver and example calls.
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { appDependencies, buildApp } from '../api/app.ts'
import { createKey, hashKey, SCOPES } from '../api/auth.ts'
import { openRuntime, type Runtime } from '../compose.ts'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import { startWebhookReceiver, type WebhookReceiver } from './demo/receiver.ts'
import { ensureDemoWebhook, seedShop } from './demo/seed.ts'
import { DEMO_DAYS, generateShop, type Shop, type ShopPerson, WEBHOOK_SEGMENT } from './demo/shop.ts'

// Fixed and published on purpose: they only ever open the demo's own data dir, so anyone following
// docs/demo.md can paste them. Never create them on a store holding real data.
export const DEMO_ADMIN_KEY = 'cdp_demo_admin_key_for_the_demo_data_only'
export const DEMO_READ_KEY = 'cdp_demo_read_key_for_the_demo_data_only'
const STATE_FILE = 'demo.json'
const HOUR_MS = 3_600_000

export interface DemoOptions {
  seed: number
  visitors: number
  /** Start over: delete the demo's SQLite database first. */
  reset?: boolean
  /** The end of the data's 30 days; default: now, rounded down to the hour. */
  now?: number
  log?: (message: string) => void
}

/** What a seeding made, kept beside the data so a later start describes it (and its examples) again. */
export interface DemoState {
  seed: number
  visitors: number
  now: number
  seconds: number
  cpu_seconds: number
  profile_records: number
  messages: number
  /** The people the example calls name, so a later start need not generate the shop again. */
  samples: DemoSamples
}

export interface DemoSamples {
  customer?: ShopPerson
  /** Signed in on two devices. */
  merged?: ShopPerson
  anonymous?: string
}

export function pickSamples(shop: Shop): DemoSamples {
  return { customer: shop.people.find((p) => p.cookies.length === 1), merged: shop.people.find((p) => p.cookies.length === 2), anonymous: shop.anonymous[0] }
}

export interface ExampleCall {
  title: string
  method: 'GET' | 'POST'
  /** Path and query string. */
  path: string
  key: 'read' | 'admin'
  body?: unknown
}

export interface Demo {
  app: FastifyInstance
  runtime: Runtime
  receiver: WebhookReceiver
  /** Seeded by this start (false: the data was there already). */
  seededNow: boolean
  state: DemoState
  /** The generated shop, when this start seeded it. */
  shop: Shop | undefined
  examples: ExampleCall[]
  close(): Promise<void>
}

function removeSqliteDatabase(config: Config): void {
  if (config.storage.kind !== 'sqlite') {
    throw new AppError('invalid_input', '--reset starts over only on the demo\'s SQLite database: with DATABASE_URL, drop and create that database yourself (or unset DATABASE_URL)')
  }
  // Only the database and the demo's own file: the data dir may be shared (CDP_DATA_DIR=./data holds the model).
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${config.storage.file}${suffix}`, { force: true })
  fs.rmSync(path.join(config.dataDir, STATE_FILE), { force: true })
}

/** Opens the demo: seeds it when its store holds no demo yet, and starts the webhook receiver. Does not listen. */
export async function openDemo(config: Config, options: DemoOptions): Promise<Demo> {
  const log = options.log ?? (() => {})
  if (options.reset) removeSqliteDatabase(config)
  fs.mkdirSync(config.dataDir, { recursive: true })
  // The model is not retrained for the demo's custom cohorts: they classify through their seed terms,
  // and a retrain would reclassify everyone in the background, so two seedings would differ.
  const runtime = await openRuntime(config, { background: true, retrain: false })
  let receiver: WebhookReceiver | undefined
  let app: FastifyInstance | undefined
  try {
    const hasRead = await runtime.store.findApiKeyByHash(hashKey(DEMO_READ_KEY))
    const hasAdmin = await runtime.store.findApiKeyByHash(hashKey(DEMO_ADMIN_KEY))
    if (hasAdmin && !hasRead) throw new AppError('conflict', 'an earlier demo seeding did not finish: run `npm run demo -- --reset` to start over')
    if (!hasAdmin && (await runtime.store.countApiKeys()) > 0) {
      throw new AppError('conflict', `this store already has API keys and no demo: the demo seeds only an empty store of its own (data dir ${config.dataDir})`)
    }
    app = await buildApp(appDependencies(runtime))
    receiver = await startWebhookReceiver({
      onDelivery: (changes, stats) => log(`webhook receiver: a delivery of ${changes} "${WEBHOOK_SEGMENT}" changes (${stats.deliveries} deliveries, ${stats.changes} changes so far)`),
    })
    let state: DemoState
    let shop: Shop | undefined
    const seededNow = !hasRead
    if (seededNow) {
      await createKey(runtime.store, { name: 'demo admin', scopes: [...SCOPES], key: DEMO_ADMIN_KEY })
      const now = options.now ?? Math.floor(Date.now() / HOUR_MS) * HOUR_MS
      log(`Seeding the demo shop: ${options.visitors} visitors over the ${DEMO_DAYS} days before ${new Date(now).toISOString()} (seed ${options.seed})…`)
      const seeded = await seedShop(app, DEMO_ADMIN_KEY, { seed: options.seed, visitors: options.visitors, now, progress: log })
      shop = seeded.shop
      state = { seed: options.seed, visitors: options.visitors, now, seconds: Math.round(seeded.seconds * 10) / 10, cpu_seconds: Math.round(seeded.cpuSeconds * 10) / 10, profile_records: seeded.profileRecords, messages: seeded.messages, samples: pickSamples(shop) }
      fs.writeFileSync(path.join(config.dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`)
      // The read key is made last: its presence says the seeding finished.
      await createKey(runtime.store, { name: 'demo read-only', scopes: ['read'], key: DEMO_READ_KEY })
    } else {
      state = readState(config, options)
    }
    await ensureDemoWebhook(app, DEMO_ADMIN_KEY, receiver.url)
    const demoApp = app
    const demoReceiver = receiver
    return {
      app,
      runtime,
      receiver,
      seededNow,
      state,
      shop,
      examples: exampleCalls(state.samples),
      async close() {
        await demoApp.close()
        await runtime.close()
        await demoReceiver.close()
      },
    }
  } catch (error) {
    await app?.close()
    await runtime.close()
    await receiver?.close()
    throw error
  }
}

function readState(config: Config, options: DemoOptions): DemoState {
  const file = path.join(config.dataDir, STATE_FILE)
  if (fs.existsSync(file)) {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoState
    // Written by an older demo without its samples: the same seed, size and time give the same people.
    return state.samples ? state : { ...state, samples: pickSamples(generateShop(state)) }
  }
  // A demo on PostgreSQL started from another data dir: described with this start's options, and its
  // example people generated again (the same seed and size give the same people).
  const now = options.now ?? Date.now()
  const shop = generateShop({ seed: options.seed, visitors: options.visitors, now })
  return { seed: options.seed, visitors: options.visitors, now, seconds: 0, cpu_seconds: 0, profile_records: shop.profiles.length, messages: shop.messages.length, samples: pickSamples(shop) }
}

/** The brief's three endpoints and a few more, with people taken from the seeded data. */
export function exampleCalls(samples: DemoSamples): ExampleCall[] {
  const { customer: single, merged, anonymous } = samples
  const calls: ExampleCall[] = []
  if (single) {
    calls.push({ title: 'A signed-in customer, by email (with the model\'s explanation of their cohorts and segments)', method: 'GET', path: `/api/user?email=${encodeURIComponent(single.email)}&explain=1`, key: 'read' })
    calls.push({ title: 'The same customer, by the cookie of their browser', method: 'GET', path: `/api/user?cookie=${encodeURIComponent(single.cookies[0] as string)}`, key: 'read' })
  }
  if (anonymous) calls.push({ title: 'An anonymous visitor (interests from the categories they browsed)', method: 'GET', path: `/api/user?cookie=${encodeURIComponent(anonymous)}&events=5`, key: 'read' })
  if (merged) {
    calls.push({ title: 'A customer who signed in on two devices: one profile, both cookies', method: 'GET', path: `/api/user?cookie=${encodeURIComponent(merged.cookies[1] as string)}`, key: 'read' })
    calls.push({ title: 'The merge that joined them', method: 'GET', path: `/api/user/merges?email=${encodeURIComponent(merged.email)}`, key: 'read' })
  }
  calls.push({
    title: 'Ingest a profile record (then look it up with GET /api/user?email=new.customer@example.com)',
    method: 'POST',
    path: '/api/ingest',
    key: 'admin',
    body: { cookie: 'demo-new-visitor-1', email: 'new.customer@example.com', location: { city: 'Boston', state: 'MA', country: 'USA' }, demographics: { age: 31 }, interests: ['tom brady', 'running shoes'] },
  })
  calls.push({ title: 'Members of the Sports cohort', method: 'GET', path: '/api/cohort/users?cohort=Sports&limit=5', key: 'read' })
  calls.push({ title: 'Members of a custom cohort', method: 'GET', path: '/api/cohort/users?cohort=Outdoor&limit=5', key: 'read' })
  calls.push({ title: 'Members of a saved segment', method: 'GET', path: `/api/segments/${encodeURIComponent('Sports fans 25–44')}/users?limit=5`, key: 'read' })
  calls.push({ title: 'Every segment with its size', method: 'GET', path: '/api/segments', key: 'read' })
  return calls
}

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`

export function formatCurl(base: string, call: ExampleCall): string {
  const key = call.key === 'read' ? DEMO_READ_KEY : DEMO_ADMIN_KEY
  const parts = [`curl -s ${shellQuote(base + call.path)}`, `-H ${shellQuote(`Authorization: Bearer ${key}`)}`]
  if (call.body !== undefined) parts.push(`-H 'content-type: application/json'`, `-d ${shellQuote(JSON.stringify(call.body))}`)
  return parts.join(' ')
}

export function formatDemoBanner(demo: Demo, base: string, storage: string): string {
  const { state } = demo
  const seeded = demo.seededNow
    ? `seeded now in ${state.seconds} s (${state.cpu_seconds} s of CPU)`
    : `seeded earlier${state.seconds ? ` (in ${state.seconds} s)` : ''}; \`npm run demo -- --reset\` starts over`
  const lines = [
    '',
    `CDP demo: a shop with ${state.visitors} visitors over the ${DEMO_DAYS} days before ${new Date(state.now).toISOString()} (seed ${state.seed}), ${seeded}.`,
    `Storage: ${storage}`,
    '',
    `Console:   ${base}/`,
    `API docs:  ${base}/docs`,
    '',
    'Test credentials (fixed demo keys, published in docs/demo.md: they exist only in the demo\'s own store):',
    `  read-only key:  ${DEMO_READ_KEY}`,
    `  admin key:      ${DEMO_ADMIN_KEY}`,
    '',
    `Webhook: segment "${WEBHOOK_SEGMENT}" delivers its changes to the demo's receiver at ${demo.receiver.url}`,
    '',
    'Example API calls:',
    '',
  ]
  for (const call of demo.examples) lines.push(`# ${call.title}`, formatCurl(base, call), '')
  return `${lines.join('\n')}\n`
}

/** The command: open (seeding if needed), listen, print, and close cleanly on a signal. */
export async function runDemo(config: Config, options: DemoOptions): Promise<void> {
  const log = (message: string) => process.stdout.write(`${message}\n`)
  const demo = await openDemo(config, { ...options, log })
  let closing = false
  const shutdown = async () => {
    if (closing) return
    closing = true
    try {
      await demo.close()
    } catch (error) {
      process.stderr.write(`cdp demo: shutting down failed: ${String(error)}\n`)
      process.exit(1)
    }
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown())
  process.on('SIGTERM', () => void shutdown())
  let address: string
  try {
    address = await demo.app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await demo.close()
    throw error
  }
  const storage = config.storage.kind === 'sqlite' ? `SQLite at ${config.storage.file}` : 'PostgreSQL (DATABASE_URL)'
  process.stdout.write(formatDemoBanner(demo, address, storage))
  process.stdout.write(`CDP demo listening on ${address}; Ctrl-C stops it.\n`)
}
