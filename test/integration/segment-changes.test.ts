// The change stream of a segment: cursor paging, long-polling and Server-Sent Events, over real
// HTTP where the transport matters.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChangeNotifier } from '../../src/activation/notifier.ts'
import { decodeChangeCursor, encodeChangeCursor } from '../../src/activation/webhooks/cursor.ts'
import type { ActivationStore } from '../../src/storage/ports/activation.ts'
import { createActivationStore } from '../../src/storage/sql/activation-store.ts'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { buildActivationApp, insertSegment, waitUntil as waitFor } from '../helpers/activation.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

/** The real notifier, counting live subscriptions so tests can see streams let go of theirs. */
class CountingNotifier extends ChangeNotifier {
  subscriptions = 0
  override subscribe(segmentId: string, listener: () => void): () => void {
    this.subscriptions++
    const unsubscribe = super.subscribe(segmentId, listener)
    return () => {
      this.subscriptions--
      unsubscribe()
    }
  }
}

let t: TestApp
let database: SqlDatabase
let store: ActivationStore
let app: FastifyInstance
let baseUrl: string
const notifier = new CountingNotifier()


async function listen(instance: FastifyInstance): Promise<string> {
  await instance.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(instance.server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  t = await createTestApp()
  // A second handle on the test database: the runtime does not expose its SqlDatabase.
  database = await openDatabase(t.database.config)
  store = createActivationStore(database)
  app = await buildActivationApp(t.runtime.store, { store, notifier, heartbeatMs: 100, pollMs: 200, dispatcher: noDispatcher })
  baseUrl = await listen(app)
})

afterAll(async () => {
  await app.close()
  await database.close()
  await t.close()
})

const aSegment = () => insertSegment(database)
/** No webhooks here: the routes' kicks go nowhere. */
const noDispatcher = { kick: () => {}, forget: () => {}, checkTarget: () => ({ kind: 'allowed' as const }) }

let profileCounter = 0
/** Writes changes the way the segment engine does (one transaction, then notify), returning their ids. */
async function addChanges(segmentId: string, changes: Array<'entered' | 'left'>, options: { notify?: boolean } = {}): Promise<number[]> {
  const rows = changes.map((change) => ({ segment_id: segmentId, profile_id: `prof_${++profileCounter}`, change, reason: 'matched', at: Date.UTC(2025, 0, 1) }))
  await database.db.transaction().execute(async (trx) => {
    await trx.insertInto('segment_changes').values(rows).execute()
  })
  if (options.notify ?? true) notifier.notify([segmentId])
  const ids = await database.db.selectFrom('segment_changes').select('id').where('segment_id', '=', segmentId).orderBy('id', 'desc').limit(rows.length).execute()
  return ids.map((r) => Number(r.id)).reverse()
}

interface ChangesPage {
  segment_id: string
  changes: Array<{ id: string; change: string; profile_id: string; reason: string; at: string }>
  next_cursor: string
}

async function getChanges(segmentId: string, query: Record<string, string> = {}) {
  return await app.inject({ method: 'GET', url: `/api/segments/${segmentId}/changes`, query, headers: t.auth('read') })
}

const idsOf = (page: ChangesPage) => page.changes.map((c) => decodeChangeCursor(c.id))

function errorOf(response: { json(): unknown }): { code: string; message: string } {
  return (response.json() as { error: { code: string; message: string } }).error
}

const waitUntil = (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 3_000) => waitFor(condition, what, timeoutMs)

interface StreamEvent {
  id: string | undefined
  event: string | undefined
  data: string
}

/** An EventSource-like reader over fetch: collects events and comment lines until closed. */
async function openStream(segmentId: string, options: { since?: string; lastEventId?: string; base?: string } = {}) {
  const controller = new AbortController()
  const url = new URL(`/api/segments/${segmentId}/changes`, options.base ?? baseUrl)
  if (options.since) url.searchParams.set('since', options.since)
  const headers: Record<string, string> = { accept: 'text/event-stream', ...t.auth('read') }
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId
  const response = await fetch(url, { headers, signal: controller.signal })
  const events: StreamEvent[] = []
  const comments: string[] = []
  let isEnded = false
  const reading = (async () => {
    if (!response.body) return
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: StreamEvent = { id: undefined, event: undefined, data: '' }
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('id: ')) event.id = line.slice(4)
            else if (line.startsWith('event: ')) event.event = line.slice(7)
            else if (line.startsWith('data: ')) event.data += line.slice(6)
          }
          if (event.data) events.push(event)
        }
      }
    } catch (error) {
      // Our own abort ends the read; anything else is a real failure.
      if ((error as Error).name !== 'AbortError') throw error
    } finally {
      isEnded = true
    }
  })()
  return {
    response,
    events,
    comments,
    isEnded: () => isEnded,
    async close() {
      controller.abort()
      await reading
    },
  }
}

describe('GET /api/segments/:id/changes', () => {
  it('pages through the change log with cursors, oldest first, one segment only', async () => {
    const segmentId = await aSegment()
    const other = await aSegment()
    const ids = await addChanges(segmentId, ['entered', 'entered', 'left', 'entered', 'left'])
    await addChanges(other, ['entered'])

    const first = (await getChanges(segmentId, { limit: '2' })).json<ChangesPage>()
    expect(first.segment_id).toBe(segmentId)
    expect(idsOf(first)).toEqual(ids.slice(0, 2))
    expect(first.changes[0]).toEqual({ id: encodeChangeCursor(ids[0] as number), change: 'entered', profile_id: expect.stringMatching(/^prof_/), reason: 'matched', at: '2025-01-01T00:00:00.000Z' })
    expect(first.next_cursor).toBe(first.changes[1]?.id)

    const second = (await getChanges(segmentId, { limit: '2', since: first.next_cursor })).json<ChangesPage>()
    expect(idsOf(second)).toEqual(ids.slice(2, 4))
    expect(second.changes.map((c) => c.change)).toEqual(['left', 'entered'])
    const third = (await getChanges(segmentId, { limit: '2', since: second.next_cursor })).json<ChangesPage>()
    expect(idsOf(third)).toEqual(ids.slice(4))

    // At the end: no changes, and a next_cursor that stays put for the next poll.
    const end = (await getChanges(segmentId, { since: third.next_cursor })).json<ChangesPage>()
    expect(end).toEqual({ segment_id: segmentId, changes: [], next_cursor: third.next_cursor })
  })

  it('accepts the segment name, in any case, for its id', async () => {
    const segmentId = await aSegment()
    const ids = await addChanges(segmentId, ['entered'])
    const page = (await getChanges(`SEGMENT ${segmentId.toUpperCase()}`)).json<ChangesPage>()
    expect(page.segment_id).toBe(segmentId)
    expect(idsOf(page)).toEqual(ids)
  })

  it('with since=now returns only changes made afterwards', async () => {
    const segmentId = await aSegment()
    await addChanges(segmentId, ['entered', 'left'])
    const now = (await getChanges(segmentId, { since: 'now' })).json<ChangesPage>()
    expect(now.changes).toEqual([])
    const later = await addChanges(segmentId, ['entered'])
    expect(idsOf((await getChanges(segmentId, { since: now.next_cursor })).json<ChangesPage>())).toEqual(later)
  })

  it('answers a long-poll as soon as a change is written and notified', async () => {
    const segmentId = await aSegment()
    const started = Date.now()
    const pending = getChanges(segmentId, { since: 'now', wait: '10' })
    await waitUntil(() => notifier.subscriptions > 0, 'the long-poll subscribes')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const ids = await addChanges(segmentId, ['entered'])
    const response = await pending
    expect(response.statusCode).toBe(200)
    expect(idsOf(response.json<ChangesPage>())).toEqual(ids)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(notifier.subscriptions).toBe(0)
  })

  it('ends a long-poll with no changes when the wait runs out', async () => {
    const segmentId = await aSegment()
    const [last] = await addChanges(segmentId, ['entered'])
    const since = encodeChangeCursor(last as number)
    const started = Date.now()
    const response = await getChanges(segmentId, { since, wait: '1' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(response.json()).toEqual({ segment_id: segmentId, changes: [], next_cursor: since })
  })

  it('finds changes committed without a notification (another process) while long-polling', async () => {
    const segmentId = await aSegment()
    const pending = getChanges(segmentId, { wait: '5' })
    await waitUntil(() => notifier.subscriptions > 0, 'the long-poll subscribes')
    const ids = await addChanges(segmentId, ['left'], { notify: false })
    expect(idsOf((await pending).json<ChangesPage>())).toEqual(ids)
  })

  it('explains an unknown segment (404), a bad cursor or wait (400) and a missing key (401)', async () => {
    const segmentId = await aSegment()
    const unknown = await getChanges('seg_missing')
    expect(unknown.statusCode).toBe(404)
    expect(errorOf(unknown)).toEqual({ code: 'not_found', message: 'no segment "seg_missing": GET /api/segments lists them', request_id: expect.any(String) })

    const badCursor = await getChanges(segmentId, { since: 'not-a-cursor' })
    expect(badCursor.statusCode).toBe(400)
    expect(errorOf(badCursor).message).toMatch(/^since: "not-a-cursor" is not a cursor: pass a next_cursor/)
    expect((await getChanges(segmentId, { wait: '31' })).statusCode).toBe(400)
    expect((await getChanges(segmentId, { limit: '0' })).statusCode).toBe(400)
    expect((await app.inject({ method: 'GET', url: `/api/segments/${segmentId}/changes` })).statusCode).toBe(401)

    const badEventId = await app.inject({
      method: 'GET',
      url: `/api/segments/${segmentId}/changes`,
      headers: { ...t.auth('read'), accept: 'text/event-stream', 'last-event-id': 'zzz' },
    })
    expect(badEventId.statusCode).toBe(400)
    expect(errorOf(badEventId).message).toMatch(/^Last-Event-ID: "zzz" is not a cursor/)
  })
})

describe('GET /api/segments/:id/changes as Server-Sent Events', () => {
  it('sends the existing changes, then each new one as it is notified, with heartbeats', async () => {
    const segmentId = await aSegment()
    const existing = await addChanges(segmentId, ['entered', 'left'])
    const stream = await openStream(segmentId)
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    try {
      await waitUntil(() => stream.events.length === 2, 'the existing changes arrive')
      const added = await addChanges(segmentId, ['entered'])
      await waitUntil(() => stream.events.length === 3, 'the new change arrives')
      expect(stream.events.map((e) => decodeChangeCursor(e.id ?? ''))).toEqual([...existing, ...added])
      expect(stream.events.map((e) => e.event)).toEqual(['entered', 'left', 'entered'])
      expect(JSON.parse(stream.events[2]?.data ?? '')).toEqual({ id: stream.events[2]?.id, change: 'entered', profile_id: expect.any(String), reason: 'matched', at: '2025-01-01T00:00:00.000Z' })
      await waitUntil(() => stream.comments.includes('heartbeat'), 'a heartbeat arrives')
    } finally {
      await stream.close()
    }
    await waitUntil(() => notifier.subscriptions === 0, 'the stream unsubscribes when the client goes away')
  })

  it('resumes after the Last-Event-ID header, which wins over since', async () => {
    const segmentId = await aSegment()
    const ids = await addChanges(segmentId, ['entered', 'entered', 'left'])
    const stream = await openStream(segmentId, { since: 'now', lastEventId: encodeChangeCursor(ids[0] as number) })
    try {
      await waitUntil(() => stream.events.length === 2, 'the changes after the last event arrive')
      expect(stream.events.map((e) => decodeChangeCursor(e.id ?? ''))).toEqual(ids.slice(1))
    } finally {
      await stream.close()
    }
  })

  it('starts after since=now, and sends changes from other processes on its next poll', async () => {
    const segmentId = await aSegment()
    await addChanges(segmentId, ['entered'])
    const stream = await openStream(segmentId, { since: 'now' })
    try {
      await waitUntil(() => stream.comments.length > 0, 'the stream opens')
      const ids = await addChanges(segmentId, ['left'], { notify: false })
      await waitUntil(() => stream.events.length === 1, 'the poll finds the change')
      expect(stream.events.map((e) => decodeChangeCursor(e.id ?? ''))).toEqual(ids)
    } finally {
      await stream.close()
    }
  })

  it('ends open streams and long-polls when the server closes', async () => {
    await waitUntil(() => notifier.subscriptions === 0, 'earlier streams have let go')
    const segmentId = await aSegment()
    const closing = await buildActivationApp(t.runtime.store, { store, notifier, dispatcher: noDispatcher })
    const base = await listen(closing)
    const stream = await openStream(segmentId, { base })
    const longPoll = fetch(`${base}/api/segments/${segmentId}/changes?wait=30`, { headers: t.auth('read') })
    await waitUntil(() => notifier.subscriptions === 2, 'both requests subscribe')
    const started = Date.now()
    await closing.close()
    expect(Date.now() - started).toBeLessThan(2_000)
    expect((await (await longPoll).json()) as ChangesPage).toMatchObject({ changes: [] })
    await waitUntil(() => stream.isEnded(), 'the stream ends')
    expect(notifier.subscriptions).toBe(0)
  })
})
