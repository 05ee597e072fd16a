// Server-Sent Events on a raw Node response: the headers, heartbeats that keep an idle stream open
// through proxies, events in the wire format, and writes that wait for the socket to drain.
import type { ServerResponse } from 'node:http'

/** Resolves once the text is written and the socket can take more (or is gone): a slow reader holds back the writer. */
export function writeAndDrain(raw: ServerResponse, text: string): Promise<void> {
  if (raw.write(text) || raw.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done)
      raw.off('close', done)
      resolve()
    }
    raw.on('drain', done)
    raw.on('close', done)
  })
}

/** One event: `id` is what the client sends back as Last-Event-ID when it reconnects. */
export function formatEvent(event: { id: string; event: string; data: unknown }): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`
}

/** Starts the stream (200 and its headers) with a comment line every `heartbeatMs`; `close` stops them and ends the response. */
export function openEventStream(raw: ServerResponse, options: { heartbeatMs: number }) {
  const heartbeat = setInterval(() => {
    if (!raw.destroyed && !raw.writableEnded) raw.write(': heartbeat\n\n')
  }, options.heartbeatMs)
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no', // nginx would otherwise buffer the stream
  })
  return {
    write: (text: string) => writeAndDrain(raw, text),
    close(): void {
      clearInterval(heartbeat)
      if (!raw.writableEnded) raw.end()
    },
  }
}
