// Seeds the demo shop through the API itself (app.inject, in process): custom cohorts, CRM records on
// /api/ingest, the storefront's messages on /v1/batch, saved segments (waiting for their backfills)
// and a webhook. What the demo shows is thus what a real client's calls would have made.
import type { FastifyInstance } from 'fastify'
import { DEMO_COHORTS, DEMO_CORRECTIONS, DEMO_SEGMENTS, generateShop, type Shop, type ShopOptions, WEBHOOK_SEGMENT } from './shop.ts'

const PROFILE_BATCH = 1000
const MESSAGE_BATCH = 500

export interface SeedResult {
  shop: Shop
  profileRecords: number
  messages: number
  seconds: number
  /** CPU time of this process meanwhile (user + system): what the seeding costs whatever else the machine runs. */
  cpuSeconds: number
}

async function call(app: FastifyInstance, key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<unknown> {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  })
  if (response.statusCode >= 300) throw new Error(`demo seeding: ${method} ${url} answered ${response.statusCode}: ${response.body.slice(0, 500)}`)
  return response.statusCode === 204 ? undefined : response.json()
}

/** Seeds everything but the webhook; `key` needs every scope. */
export async function seedShop(app: FastifyInstance, key: string, options: ShopOptions & { progress?: (message: string) => void }): Promise<SeedResult> {
  const started = performance.now()
  const cpu = process.cpuUsage()
  const progress = options.progress ?? (() => {})
  const shop = generateShop(options)
  // Cohorts first, so the records below are classified with them.
  for (const cohort of DEMO_COHORTS) await call(app, key, 'POST', '/api/cohorts', cohort)
  for (const correction of DEMO_CORRECTIONS) await call(app, key, 'POST', '/api/cohorts/corrections', correction)
  for (let i = 0; i < shop.profiles.length; i += PROFILE_BATCH) {
    await call(app, key, 'POST', '/api/ingest?source=crm', shop.profiles.slice(i, i + PROFILE_BATCH))
  }
  progress(`  ${shop.profiles.length} CRM records`)
  // In time order, one batch at a time, as a storefront would have sent them.
  for (let i = 0; i < shop.messages.length; i += MESSAGE_BATCH) {
    await call(app, key, 'POST', '/v1/batch', { batch: shop.messages.slice(i, i + MESSAGE_BATCH) })
    if ((i / MESSAGE_BATCH) % 40 === 39) progress(`  ${i + MESSAGE_BATCH} of ${shop.messages.length} storefront messages`)
  }
  progress(`  ${shop.messages.length} storefront messages`)
  // Segments after the data: each is backfilled once instead of evaluated on every event.
  for (const segment of DEMO_SEGMENTS) await call(app, key, 'POST', '/api/segments', segment)
  await waitForSegments(app, key)
  return { shop, profileRecords: shop.profiles.length, messages: shop.messages.length, seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsSince(cpu) }
}

async function waitForSegments(app: FastifyInstance, key: string): Promise<void> {
  for (;;) {
    const segments = (await call(app, key, 'GET', '/api/segments')) as Array<{ state: string }>
    if (segments.every((s) => s.state === 'ready')) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The webhook on WEBHOOK_SEGMENT points at `url` (the receiver's port changes between runs): an older
 * one is replaced. The first one replays the segment's whole history, so deliveries arrive at once.
 */
export async function ensureDemoWebhook(app: FastifyInstance, key: string, url: string): Promise<void> {
  const path = `/api/segments/${encodeURIComponent(WEBHOOK_SEGMENT)}/webhooks`
  const existing = (await call(app, key, 'GET', path)) as Array<{ id: string; url: string }>
  if (existing.some((w) => w.url === url)) return
  for (const webhook of existing) await call(app, key, 'DELETE', `${path}/${webhook.id}`)
  await call(app, key, 'POST', path, { url, secret: 'demo-webhook-secret-0123456789', from: existing.length === 0 ? 'beginning' : 'latest' })
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}
