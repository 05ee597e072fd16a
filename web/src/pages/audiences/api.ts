// What the audience builder asks of the API: segments, preview, versions, members, export, webhooks
// and the change stream. Shapes follow src/api/routes/segments.ts, webhooks.ts and changes.ts.
import { errorFrom } from '../../api.ts'
import type { ConsoleApi } from '../cohorts/api.ts'
import type { Json, Node } from './definition.ts'
import { parseEventBlock } from './sse.ts'

export interface Segment {
  id: string
  name: string
  description: string
  conditions: Node
  required_consent: string[]
  version: number
  members: number
  state: 'backfilling' | 'ready'
  backfill: { processed: number; total: number; percent: number }
  created_at: string
  updated_at: string
}

export interface SegmentMember {
  profile_id: string
  cookie: string | null
  email: string | null
  entered_at: string
}

export interface Preview {
  count: number
  sample: SegmentMember[]
  took_ms: number
}

export interface SegmentVersion {
  version: number
  name: string
  description: string
  conditions: Node
  required_consent: string[]
  created_at: string
}

export interface Webhook {
  id: string
  url: string
  delivered_cursor: string
  pending_changes: number
  attempts: number
  next_attempt_at: string | null
  last_error: string | null
  last_delivered_at: string | null
  required_consent: string[]
  created_at: string
}

export interface Change {
  id: string
  change: 'entered' | 'left'
  profile_id: string
  reason: string
  at: string
}

export interface SegmentInput {
  name: string
  description: string
  conditions: Json
  required_consent: string[]
}

const seg = (id: string) => `/api/segments/${encodeURIComponent(id)}`

export function segmentsApi(api: ConsoleApi) {
  return {
    list: () => api.request<Segment[]>('GET', '/api/segments'),
    get: (id: string) => api.request<Segment>('GET', seg(id)),
    preview: (input: { conditions: Json; required_consent: string[] }, signal?: AbortSignal) =>
      api.request<Preview>('POST', '/api/segments/preview', { body: input, signal }),
    create: (input: SegmentInput) => api.request<Segment>('POST', '/api/segments', { body: input }),
    update: (id: string, input: SegmentInput) => api.request<Segment>('PUT', seg(id), { body: input }),
    remove: (id: string) => api.request<null>('DELETE', seg(id)),
    versions: (id: string) => api.request<SegmentVersion[]>('GET', `${seg(id)}/versions`),
    members: (id: string, cursor: string | null, limit = 25) =>
      api.request<{ total: number; users: SegmentMember[]; next_cursor: string | null }>(
        'GET',
        `${seg(id)}/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    webhooks: (id: string) => api.request<Webhook[]>('GET', `${seg(id)}/webhooks`),
    addWebhook: (id: string, input: { url: string; from: 'latest' | 'beginning'; required_consent: string[] }) =>
      api.request<Webhook & { secret: string }>('POST', `${seg(id)}/webhooks`, { body: input }),
    removeWebhook: (id: string, webhookId: string) => api.request<null>('DELETE', `${seg(id)}/webhooks/${encodeURIComponent(webhookId)}`),
    /** Downloads every member as a file: fetched with the key (a plain link cannot send it), then saved. */
    async download(id: string, name: string, format: 'csv' | 'ndjson'): Promise<void> {
      const response = await api.fetch(`${seg(id)}/export?format=${format}`)
      if (!response.ok) throw await errorFrom(response)
      const url = URL.createObjectURL(await response.blob())
      const link = document.createElement('a')
      link.href = url
      link.download = `${name.replace(/[^A-Za-z0-9_-]+/g, '-') || id}.${format}`
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    },
    follow: (id: string, handlers: FollowHandlers) => followChanges(api, id, handlers),
  }
}

export interface FollowHandlers {
  onChange(change: Change): void
  onStatus(status: 'connecting' | 'live' | 'retrying', detail?: string): void
}

/**
 * Follows a segment's change stream from now on. EventSource cannot send an Authorization header and
 * the API takes the key only from it, so this reads the same Server-Sent Events over a streaming fetch,
 * and reconnects with Last-Event-ID (so no change is missed or repeated) until stopped.
 */
export function followChanges(api: ConsoleApi, segmentId: string, handlers: FollowHandlers): () => void {
  const controller = new AbortController()
  let lastId: string | null = null
  let delay = 1000

  async function connect(): Promise<void> {
    handlers.onStatus('connecting')
    const headers: Record<string, string> = { accept: 'text/event-stream' }
    if (lastId !== null) headers['last-event-id'] = lastId
    const response = await api.fetch(`${seg(segmentId)}/changes?since=now`, { headers, signal: controller.signal })
    if (!response.ok || !response.body) throw await errorFrom(response)
    handlers.onStatus('live')
    delay = 1000
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value.replaceAll('\r\n', '\n')
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = parseEventBlock(block)
        if (event?.data) {
          if (event.id) lastId = event.id
          handlers.onChange(JSON.parse(event.data) as Change)
        }
        end = buffer.indexOf('\n\n')
      }
    }
  }

  async function run(): Promise<void> {
    while (!controller.signal.aborted) {
      try {
        await connect()
      } catch (error) {
        if (controller.signal.aborted) return
        handlers.onStatus('retrying', error instanceof Error ? error.message : String(error))
      }
      if (controller.signal.aborted) return
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 30_000)
    }
  }
  void run()
  return () => controller.abort()
}
