// Sends one webhook request over HTTP(S), connecting only to addresses the target guard allows
// (target.ts). The check runs inside the socket's own DNS lookup, so the address checked is the
// address connected to: a DNS answer that changes after registration, or between a check and the
// connection (DNS rebinding), cannot slip past it. A literal address in the URL is never looked up,
// so the URL itself is checked first.
import dns from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import type { WebhookTargetGuard } from './target.ts'

/** Every address a host name resolves to. */
export type ResolveHost = (hostname: string) => Promise<dns.LookupAddress[]>

const systemResolver: ResolveHost = (hostname) => dns.promises.lookup(hostname, { all: true })

/** A delivery refused by the target policy before any connection was made. */
export class TargetRefusedError extends Error {
  readonly code = 'ERR_WEBHOOK_TARGET_REFUSED'
  constructor(reason: string) {
    super(reason)
    this.name = 'TargetRefusedError'
  }
}

export interface WebhookSender {
  /** Posts `body` and answers the response status; rejects on a refused target, a network failure or the signal. */
  post(input: { url: URL; headers: Record<string, string>; body: string; signal: AbortSignal }): Promise<number>
  /** Closes idle kept-alive connections. */
  close(): void
}

export function createWebhookSender(options: { guard: WebhookTargetGuard; resolveHost?: ResolveHost }): WebhookSender {
  const { guard } = options
  const lookup = guardedLookup(guard, options.resolveHost ?? systemResolver)
  // Agents of our own, never the global ones: every pooled socket was opened through the guarded lookup.
  const httpAgent = new http.Agent({ keepAlive: true, lookup })
  const httpsAgent = new https.Agent({ keepAlive: true, lookup })

  return {
    post({ url, headers, body, signal }) {
      const verdict = guard.checkUrl(url)
      if (verdict.kind === 'refused') return Promise.reject(new TargetRefusedError(verdict.reason))
      const isHttps = url.protocol === 'https:'
      return new Promise<number>((resolve, reject) => {
        const request = (isHttps ? https : http).request(url, {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: isHttps ? httpsAgent : httpAgent,
          signal,
        })
        request.on('response', (response) => {
          // Only the status matters. The body is drained so the connection can be reused; the signal
          // still cuts a receiver that never ends it, and an error then changes nothing already decided.
          response.on('error', ignoreAfterStatus)
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        request.on('error', reject)
        request.end(body)
      })
    },
    close() {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}

function ignoreAfterStatus(): void {
  // The delivery's outcome was the status already received.
}

/**
 * A socket lookup that resolves the name, keeps only the addresses the guard allows, and fails with
 * the guard's reason when none is left. Node connects to exactly the addresses it returns.
 */
function guardedLookup(guard: WebhookTargetGuard, resolveHost: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0
    resolveHost(hostname).then(
      (found) => {
        const candidates = family === 0 ? found : found.filter((a) => a.family === family)
        let refusal: string | undefined
        const allowed = candidates.filter((candidate) => {
          const verdict = guard.checkResolved(hostname, candidate.address)
          if (verdict.kind === 'refused') refusal ??= verdict.reason
          return verdict.kind === 'allowed'
        })
        const first = allowed[0]
        if (!first) {
          const error = refusal ? new TargetRefusedError(refusal) : Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
          callback(error, '')
        } else if (options.all) {
          callback(null, allowed)
        } else {
          callback(null, first.address, first.family)
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    )
  }
}
