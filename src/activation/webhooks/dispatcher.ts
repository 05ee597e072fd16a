// Delivers segment changes to webhooks. The change log is the outbox: each webhook keeps the id of
// the last change its endpoint acknowledged, and a delivery is the next batch after it. Delivery is
// at-least-once: a crash between the endpoint's 2xx and the cursor update resends that batch under
// the same delivery id.
//
// Every webhook runs its own loop, with at most one request in flight, so a slow or failing
// endpoint delays only itself. Loops start on a kick (a notifier signal for the webhook's segment),
// when a retry falls due, and from a periodic sweep that also finds changes committed by other
// processes, whose notifier signals never reach this one.
//
// Requests go through the sender (sender.ts), which connects only to targets the policy allows
// (target.ts); a refused target is recorded on the webhook like any other failed delivery.
import { createHash } from 'node:crypto'
import type { ChangeNotifier } from '../notifier.ts'
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from './backoff.ts'
import { changeToJson } from './payload.ts'
import { createWebhookSender, type ResolveHost, TargetRefusedError, type WebhookSender } from './sender.ts'
import { signPayload } from './signature.ts'
import type { ChangeLogEntry } from '../../domain/segment.ts'
import type { Webhook } from '../../domain/webhook.ts'
import type { ActivationStore } from '../../storage/ports/activation.ts'
import { createTargetGuard, DEFAULT_TARGET_POLICY, type TargetVerdict, type WebhookTargetGuard, type WebhookTargetPolicy } from './target.ts'

export const DELIVERY_BATCH = 100
const SWEEP_LIMIT = 1_000
const MAX_ERROR_LENGTH = 500

/** What delivery reads and records: the webhooks, their changes and their cursors. */
export type WebhookDeliveryStore = Pick<
  ActivationStore,
  'listWebhooks' | 'listWebhookSegments' | 'listDueWebhooks' | 'findWebhook' | 'listChanges' | 'recordDeliverySuccess' | 'recordDeliveryFailure' | 'profilesLackingConsent'
>

export interface WebhookDispatcherOptions {
  store: WebhookDeliveryStore
  /** Wakes the dispatcher when a segment with webhooks gets changes; without it, only sweeps and kicks do. */
  notifier?: ChangeNotifier
  backoff?: BackoffPolicy
  /** How often to look for due retries and undelivered changes (default 1 s). */
  sweepIntervalMs?: number
  /** Per request, headers and body included (default 10 s). */
  requestTimeoutMs?: number
  batchSize?: number
  now?: () => number
  random?: () => number
  /** Where infrastructure failures (the database) are reported; endpoint failures are recorded on the webhook. */
  log?: (message: string, error: unknown) => void
  /** Which local and private receivers may be reached (default: public addresses only). */
  targets?: WebhookTargetPolicy
  /** Resolves receivers' host names (default: the system resolver); each address is checked before connecting. */
  resolveHost?: ResolveHost
}

interface Worker {
  running: Promise<void> | undefined
  /** Set when a kick arrives during a run: the run takes another look before it ends. */
  again: boolean
  retryTimer: NodeJS.Timeout | undefined
}

type DeliveryResult = { kind: 'delivered' } | { kind: 'failed'; error: string }

/** The same change range always gets the same id, across attempts and restarts, for de-duplication. */
export function deliveryId(webhookId: string, changes: readonly ChangeLogEntry[]): string {
  const first = changes[0]?.id ?? 0
  const last = changes[changes.length - 1]?.id ?? 0
  return `dlv_${createHash('sha256').update(`${webhookId}:${first}:${last}`).digest('hex').slice(0, 24)}`
}

export class WebhookDispatcher {
  private readonly store: WebhookDeliveryStore
  private readonly notifier: ChangeNotifier | undefined
  private readonly backoff: BackoffPolicy
  private readonly sweepIntervalMs: number
  private readonly requestTimeoutMs: number
  private readonly batchSize: number
  private readonly now: () => number
  private readonly random: () => number
  private readonly log: (message: string, error: unknown) => void
  private readonly guard: WebhookTargetGuard
  private readonly sender: WebhookSender

  private readonly workers = new Map<string, Worker>()
  private readonly subscriptions = new Map<string, () => void>()
  /** Deleted in this process while a loop may already hold the row it read before the delete. */
  private readonly forgotten = new Set<string>()
  private sweepTimer: NodeJS.Timeout | undefined
  private sweeping: Promise<void> | undefined
  private started = false

  constructor(options: WebhookDispatcherOptions) {
    this.store = options.store
    this.notifier = options.notifier
    this.backoff = options.backoff ?? DEFAULT_BACKOFF
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000
    this.batchSize = options.batchSize ?? DELIVERY_BATCH
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    this.log = options.log ?? ((message, error) => console.error(message, error))
    this.guard = createTargetGuard(options.targets ?? DEFAULT_TARGET_POLICY)
    this.sender = createWebhookSender({ guard: this.guard, resolveHost: options.resolveHost })
  }

  /**
   * Whether a URL is one this dispatcher would deliver to, as written (its host's addresses are
   * checked again at each connection). The webhook routes ask before registering one.
   */
  checkTarget(url: URL): TargetVerdict {
    return this.guard.checkUrl(url)
  }

  /** Starts sweeping and listening; the first sweep runs at once and delivers any backlog. */
  start(): void {
    if (this.started) return
    this.started = true
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepIntervalMs)
    this.sweepTimer.unref()
    this.sweep()
  }

  /**
   * Stops starting deliveries, cancels pending retries, and waits for requests in flight (each
   * bounded by the request timeout) so their outcome is recorded before the database closes.
   */
  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.sweepTimer)
    for (const unsubscribe of this.subscriptions.values()) unsubscribe()
    this.subscriptions.clear()
    for (const worker of this.workers.values()) clearTimeout(worker.retryTimer)
    const running = [...this.workers.values()].map((w) => w.running)
    await Promise.allSettled([this.sweeping, ...running])
    this.workers.clear()
    this.sender.close()
  }

  /** Delivers the segment's new changes to its webhooks now (those not backing off). */
  kick(segmentId: string): void {
    if (!this.started) return
    this.watch(segmentId)
    this.store.listWebhooks(segmentId).then(
      (webhooks) => {
        for (const webhook of webhooks) this.run(webhook.id)
      },
      (error: unknown) => this.log(`webhooks: could not list the webhooks of segment ${segmentId}`, error),
    )
  }

  /**
   * Called after a webhook is deleted: a loop that read the row before the delete sends nothing
   * more. A request already on the wire still completes; nothing starts after this returns.
   */
  forget(webhookId: string): void {
    this.forgotten.add(webhookId)
    const worker = this.workers.get(webhookId)
    if (worker) clearTimeout(worker.retryTimer)
  }

  private watch(segmentId: string): void {
    if (!this.notifier || this.subscriptions.has(segmentId)) return
    this.subscriptions.set(segmentId, this.notifier.subscribe(segmentId, () => this.kick(segmentId)))
  }

  private sweep(): void {
    if (this.sweeping || !this.started) return
    this.sweeping = (async () => {
      try {
        const segments = new Set(await this.store.listWebhookSegments())
        if (!this.started) return
        for (const segmentId of segments) this.watch(segmentId)
        for (const [segmentId, unsubscribe] of this.subscriptions) {
          if (!segments.has(segmentId)) {
            unsubscribe()
            this.subscriptions.delete(segmentId)
          }
        }
        const due = await this.store.listDueWebhooks({ now: this.now(), limit: SWEEP_LIMIT })
        for (const webhook of due) this.run(webhook.id)
      } catch (error) {
        this.log('webhooks: sweep failed; the next sweep retries', error)
      } finally {
        this.sweeping = undefined
      }
    })()
  }

  /** Starts the webhook's loop, or asks the running one to look again before it ends. */
  private run(webhookId: string): void {
    if (!this.started) return
    let worker = this.workers.get(webhookId)
    if (!worker) {
      worker = { running: undefined, again: false, retryTimer: undefined }
      this.workers.set(webhookId, worker)
    }
    if (worker.running) {
      worker.again = true
      return
    }
    const current = worker
    current.running = this.deliverPending(webhookId, current)
      .catch((error: unknown) => this.log(`webhooks: delivery loop of ${webhookId} failed; the next sweep retries`, error))
      .finally(() => {
        current.running = undefined
      })
  }

  private async deliverPending(webhookId: string, worker: Worker): Promise<void> {
    do {
      worker.again = false
      // Re-read every round: the webhook may have been deleted, or advanced by another process.
      const webhook = await this.store.findWebhook(webhookId)
      if (!webhook) {
        this.workers.delete(webhookId) // deleted: forget it
        this.forgotten.delete(webhookId)
        return
      }
      if (webhook.nextAttemptAt > this.now()) return
      const changes = await this.store.listChanges({ segmentId: webhook.segmentId, afterId: webhook.deliveredChangeId, limit: this.batchSize })
      if (changes.length === 0) continue
      if (this.forgotten.has(webhookId)) return
      const last = changes[changes.length - 1] as ChangeLogEntry
      const sendable = await this.withConsent(webhook, changes)
      // Nothing left to send: the cursor still moves past what was skipped.
      const result: DeliveryResult = sendable.length === 0 ? { kind: 'delivered' } : await this.deliver(webhook, sendable)
      if (result.kind === 'delivered') {
        await this.store.recordDeliverySuccess({ webhookId, deliveredChangeId: last.id, now: this.now() })
        worker.again = true
      } else {
        const attempts = webhook.attempts + 1
        const delay = retryDelay(attempts, this.backoff, this.random)
        await this.store.recordDeliveryFailure({ webhookId, attempts, nextAttemptAt: this.now() + delay, error: result.error })
        this.scheduleRetry(webhookId, worker, delay)
        return
      }
    } while (worker.again && this.started)
  }

  private scheduleRetry(webhookId: string, worker: Worker, delayMs: number): void {
    if (!this.started) return
    clearTimeout(worker.retryTimer)
    worker.retryTimer = setTimeout(() => {
      worker.retryTimer = undefined
      this.run(webhookId)
    }, delayMs)
    worker.retryTimer.unref()
  }

  /**
   * A webhook that requires consent gets a profile's 'entered' change only if the profile has granted
   * every required purpose when it is sent (consent may be withdrawn between entry and delivery);
   * 'left' changes always go, so a downstream tool never keeps someone it should drop.
   */
  private async withConsent(webhook: Webhook, changes: ChangeLogEntry[]): Promise<ChangeLogEntry[]> {
    if (webhook.requiredConsent.length === 0) return changes
    const entered = changes.filter((c) => c.change === 'entered').map((c) => c.profileId)
    if (entered.length === 0) return changes
    const lacking = await this.store.profilesLackingConsent({ profileIds: entered, purposes: webhook.requiredConsent })
    return changes.filter((c) => c.change === 'left' || !lacking.has(c.profileId))
  }

  private async deliver(webhook: Webhook, changes: ChangeLogEntry[]): Promise<DeliveryResult> {
    const id = deliveryId(webhook.id, changes)
    const body = JSON.stringify({ webhook_id: webhook.id, segment_id: webhook.segmentId, delivery_id: id, changes: changes.map(changeToJson) })
    const timestamp = Math.floor(this.now() / 1000)
    try {
      const status = await this.sender.post({
        url: new URL(webhook.url),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'cdp-webhooks/1',
          'x-cdp-delivery': id,
          'x-cdp-timestamp': String(timestamp),
          'x-cdp-signature': signPayload(webhook.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      })
      if (status >= 200 && status < 300) return { kind: 'delivered' }
      // A redirect would resend signed data to a place nobody registered (and past the target check): a failure.
      const hint = status >= 300 && status < 400 ? ': redirects are not followed, register the final URL' : ''
      return { kind: 'failed', error: `HTTP ${status}${hint}` }
    } catch (error) {
      return { kind: 'failed', error: describeRequestError(error, this.requestTimeoutMs) }
    }
  }
}

function describeRequestError(error: unknown, timeoutMs: number): string {
  if (error instanceof TargetRefusedError) return `refused: ${error.message}`.slice(0, MAX_ERROR_LENGTH)
  const e = error as { name?: string; message?: string; code?: string }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no response within ${timeoutMs} ms`
  const message = e.message ?? String(error)
  const text = e.code && !message.includes(e.code) ? `${message} (${e.code})` : message
  return text.slice(0, MAX_ERROR_LENGTH)
}
