// Webhook targets: by default a webhook may not reach loopback, link-local, private, unspecified or
// cloud-metadata addresses, neither as written when it is registered nor as its host resolves when a
// delivery connects; CDP_WEBHOOK_ALLOW_HOSTS and CDP_WEBHOOK_ALLOW_PRIVATE let self-hosted receivers in.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/activation/webhooks/dispatcher.ts'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { insertSegment, waitUntil } from '../helpers/activation.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let strict: TestApp
let database: SqlDatabase
let dispatcher: WebhookDispatcher | undefined
let receiver: { port: number; requests: number; close(): Promise<void> } | undefined

beforeAll(async () => {
  strict = await createTestApp()
  database = await openDatabase(strict.database.config)
})

afterEach(async () => {
  await receiver?.close()
  receiver = undefined
  await dispatcher?.stop()
  dispatcher = undefined
  await database.db.updateTable('webhooks').set({ deleted_at: Date.now() }).where('deleted_at', 'is', null).execute()
})

afterAll(async () => {
  await database.close()
  await strict.close()
})

interface ErrorBody {
  error: { code: string; message: string; request_id: string }
}

const register = (t: TestApp, segmentId: string, url: string) =>
  t.app.inject({ method: 'POST', url: `/api/segments/${segmentId}/webhooks`, headers: t.auth('admin'), payload: { url } })

async function startReceiver(): Promise<{ port: number; requests: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    started.requests += 1
    request.resume()
    request.on('end', () => response.writeHead(204).end())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const started = {
    port: (server.address() as AddressInfo).port,
    requests: 0,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  receiver = started
  return started
}

/** A segment with one change, and a webhook registered straight in the store (as before targets were checked). */
async function aStoredWebhook(url: string): Promise<string> {
  const segmentId = await insertSegment(database)
  await database.db.insertInto('segment_changes').values({ segment_id: segmentId, profile_id: 'prof_target', change: 'entered', reason: 'test', at: Date.now() }).execute()
  const webhook = await strict.runtime.activation.createWebhook({
    id: `whk_target${Math.random().toString(36).slice(2, 12)}`,
    segmentId,
    url,
    secret: 'a-secret-of-enough-length',
    deliveredChangeId: 0,
    now: Date.now(),
  })
  return webhook.id
}

function startDispatcher(options: Partial<WebhookDispatcherOptions>): WebhookDispatcher {
  dispatcher = new WebhookDispatcher({ store: strict.runtime.activation, sweepIntervalMs: 50, requestTimeoutMs: 2_000, backoff: { baseMs: 60_000, capMs: 60_000 }, ...options })
  dispatcher.start()
  return dispatcher
}

async function firstOutcome(webhookId: string) {
  const row = () => database.db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow()
  await waitUntil(async () => {
    const r = await row()
    return r.attempts > 0 || Number(r.delivered_change_id) > 0
  }, 'the delivery has an outcome', 10_000)
  return await row()
}

describe('registering a webhook', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud metadata service'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal is a cloud metadata service'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is a cloud metadata service'],
    ['http://127.0.0.1:8080/hook', '127.0.0.1 is a loopback address'],
    ['http://localhost:8080/hook', 'localhost is a loopback address'],
    ['http://[::1]:8080/hook', '::1 is a loopback address'],
    ['http://0.0.0.0:8080/hook', '0.0.0.0 is an unspecified address'],
    ['http://2130706433/hook', '127.0.0.1 is a loopback address'],
    ['http://0x7f000001/hook', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/hook', '127.0.0.1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1 is a loopback address'],
    ['http://10.0.0.5:8080/in', '10.0.0.5 is a private-network address'],
    ['http://172.16.0.9/in', '172.16.0.9 is a private-network address'],
    ['http://192.168.1.20/in', '192.168.1.20 is a private-network address'],
    ['http://100.64.0.1/in', '100.64.0.1 is a private-network address'],
    ['http://[fd12:3456::1]/in', 'fd12:3456::1 is a private-network address'],
    ['http://[fe80::1]/in', 'fe80::1 is a link-local address'],
    ['http://169.254.1.1/in', '169.254.1.1 is a link-local address'],
  ])('refuses %s with a 400 that says why and names the setting', async (url, why) => {
    const segmentId = await insertSegment(database)
    const response = await register(strict, segmentId, url)
    expect(response.statusCode).toBe(400)
    const body = response.json<ErrorBody>()
    expect(body.error.code).toBe('invalid_input')
    expect(body.error.request_id).toMatch(/^req_/)
    expect(body.error.message.startsWith(`url: ${why}`)).toBe(true)
    expect(body.error.message).toContain('CDP_WEBHOOK_ALLOW_HOSTS=')
    expect(await database.db.selectFrom('webhooks').select('id').where('segment_id', '=', segmentId).execute()).toEqual([])
  })

  it('refuses other schemes and credentials in the URL', async () => {
    const segmentId = await insertSegment(database)
    const file = await register(strict, segmentId, 'file:///etc/passwd')
    expect(file.statusCode).toBe(400)
    expect(file.json<ErrorBody>().error.message).toBe('url: must use http or https (got "file")')
    const credentials = await register(strict, segmentId, 'https://user:secret@hooks.example.com/in')
    expect(credentials.statusCode).toBe(400)
    expect(credentials.json<ErrorBody>().error.message).toMatch(/^url: must not contain a user name or password/)
  })

  it('accepts public hosts', async () => {
    const segmentId = await insertSegment(database)
    expect((await register(strict, segmentId, 'https://hooks.example.com/in')).statusCode).toBe(201)
    expect((await register(strict, segmentId, 'http://8.8.8.8:8080/in')).statusCode).toBe(201)
  })

  it('accepts the hosts and networks the settings allow, and nothing more', async () => {
    const allowing = await createTestApp({ CDP_WEBHOOK_ALLOW_HOSTS: 'receiver.internal,127.0.0.1,10.0.0.0/8', CDP_WEBHOOK_ALLOW_PRIVATE: 'false' })
    const allowingPrivate = await createTestApp({ CDP_WEBHOOK_ALLOW_PRIVATE: 'true' })
    try {
      const segment = await allowing.app.inject({ method: 'POST', url: '/api/segments', headers: allowing.auth('admin'), payload: { name: 'targets', conditions: { field: 'age', op: 'gt', value: 200 } } })
      const id = segment.json<{ id: string }>().id
      for (const url of ['http://receiver.internal/in', 'http://127.0.0.1:9000/in', 'http://2130706433:9000/in', 'http://10.1.2.3/in']) {
        expect((await register(allowing, id, url)).statusCode, url).toBe(201)
      }
      for (const url of ['http://192.168.1.1/in', 'http://127.0.0.2/in', 'http://169.254.169.254/']) {
        expect((await register(allowing, id, url)).statusCode, url).toBe(400)
      }

      const other = await allowingPrivate.app.inject({ method: 'POST', url: '/api/segments', headers: allowingPrivate.auth('admin'), payload: { name: 'targets', conditions: { field: 'age', op: 'gt', value: 200 } } })
      const otherId = other.json<{ id: string }>().id
      for (const url of ['http://192.168.1.1/in', 'http://10.1.2.3/in', 'http://[fd12::1]/in']) {
        expect((await register(allowingPrivate, otherId, url)).statusCode, url).toBe(201)
      }
      for (const url of ['http://127.0.0.1/in', 'http://169.254.169.254/', 'http://100.100.100.200/']) {
        expect((await register(allowingPrivate, otherId, url)).statusCode, url).toBe(400)
      }
    } finally {
      await allowing.close()
      await allowingPrivate.close()
    }
  })
})

describe('delivering', () => {
  it('refuses to connect when the host resolves to a blocked address (DNS rebinding), and records why', async () => {
    const target = await startReceiver()
    const segmentId = await insertSegment(database)
    // Registration sees only a name; the name's address is known only when the delivery connects.
    const registered = await register(strict, segmentId, `http://hooks.rebind.test:${target.port}/hook`)
    expect(registered.statusCode).toBe(201)
    await database.db.insertInto('segment_changes').values({ segment_id: segmentId, profile_id: 'prof_target', change: 'entered', reason: 'test', at: Date.now() }).execute()
    await database.db.updateTable('webhooks').set({ delivered_change_id: 0 }).where('id', '=', registered.json<{ id: string }>().id).execute()

    startDispatcher({ targets: strict.database.config.webhookTargets, resolveHost: async () => [{ address: '127.0.0.1', family: 4 }] })
    const row = await firstOutcome(registered.json<{ id: string }>().id)
    expect(row.attempts).toBe(1)
    expect(Number(row.delivered_change_id)).toBe(0)
    expect(row.last_error).toBe(
      'refused: hooks.rebind.test resolves to 127.0.0.1, a loopback address (this machine): webhooks may not reach local, private or cloud-metadata addresses unless allowed; ' +
        'set CDP_WEBHOOK_ALLOW_HOSTS=hooks.rebind.test to allow this receiver',
    )
    expect(target.requests).toBe(0)
  })

  it('connects to the address its lookup checked when the setting allows the name', async () => {
    const target = await startReceiver()
    // .test never resolves through the system: the delivery arriving shows the checked lookup is the one connected with.
    const webhookId = await aStoredWebhook(`http://hooks.rebind.test:${target.port}/hook`)
    const allowed = loadConfig({ CDP_WEBHOOK_ALLOW_HOSTS: 'hooks.rebind.test' }).webhookTargets
    startDispatcher({ targets: allowed, resolveHost: async () => [{ address: '127.0.0.1', family: 4 }] })
    const row = await firstOutcome(webhookId)
    expect(row).toMatchObject({ attempts: 0, last_error: null })
    expect(Number(row.delivered_change_id)).toBeGreaterThan(0)
    expect(target.requests).toBe(1)
  })

  it('refuses, at send time, a blocked address stored before targets were checked', async () => {
    const target = await startReceiver()
    const metadata = await aStoredWebhook('http://169.254.169.254/latest/meta-data/')
    const loopback = await aStoredWebhook(`http://[::ffff:127.0.0.1]:${target.port}/hook`)
    const localhost = await aStoredWebhook(`http://localhost:${target.port}/hook`)
    startDispatcher({ targets: strict.database.config.webhookTargets })
    expect((await firstOutcome(metadata)).last_error).toMatch(/^refused: 169\.254\.169\.254 is a cloud metadata service/)
    expect((await firstOutcome(loopback)).last_error).toMatch(/^refused: ::ffff:7f00:1 is a loopback address/)
    expect((await firstOutcome(localhost)).last_error).toMatch(/^refused: localhost is a loopback address/)
    expect(target.requests).toBe(0)
  })
})

describe('the settings', () => {
  it('reads allowed hosts and private networks from the environment', () => {
    expect(loadConfig({ CDP_WEBHOOK_ALLOW_HOSTS: 'receiver.internal, 10.0.0.0/8', CDP_WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookTargets).toEqual({
      allowHosts: ['receiver.internal'],
      allowNetworks: [{ address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
      allowPrivate: true,
    })
    expect(loadConfig({}).webhookTargets).toEqual({ allowHosts: [], allowNetworks: [], allowPrivate: false })
  })

  it('names each bad setting', () => {
    const load = () => loadConfig({ CDP_WEBHOOK_ALLOW_HOSTS: 'http://receiver', CDP_WEBHOOK_ALLOW_PRIVATE: 'yes' })
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(/CDP_WEBHOOK_ALLOW_HOSTS: "http:\/\/receiver" is neither a host name/)
    expect(load).toThrow(/CDP_WEBHOOK_ALLOW_PRIVATE: must be "true" or "false"/)
  })
})
