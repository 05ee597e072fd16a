// The demo's webhook receiver: a local HTTP endpoint that takes the deliveries of the demo segment's
// webhook and counts them, so a webhook can be watched working without any outside service.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface WebhookReceiver {
  /** Where the webhook points: http://127.0.0.1:PORT/webhook. */
  url: string
  /** Deliveries received and the changes they carried. */
  stats(): { deliveries: number; changes: number }
  close(): Promise<void>
}

export async function startWebhookReceiver(options: { onDelivery?: (changes: number, stats: { deliveries: number; changes: number }) => void } = {}): Promise<WebhookReceiver> {
  const stats = { deliveries: 0, changes: 0 }
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.method !== 'POST') {
        response.writeHead(405).end()
        return
      }
      let changes = 0
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { changes?: unknown[] }
        changes = Array.isArray(body.changes) ? body.changes.length : 0
      } catch {
        response.writeHead(400).end('not JSON')
        return
      }
      stats.deliveries++
      stats.changes += changes
      options.onDelivery?.(changes, { ...stats })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
