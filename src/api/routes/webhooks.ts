// A segment's webhooks: register, list with their delivery state, delete. Delivery itself (signing,
// retries with backoff) is the dispatcher's, in activation/webhooks/.
import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.ts'
import { encodeChangeCursor } from '../../activation/webhooks/cursor.ts'
import type { WebhookDispatcher } from '../../activation/webhooks/dispatcher.ts'
import { consentPurposeKey, DEFAULT_CONSENT_PURPOSES } from '../../domain/consent.ts'
import type { Webhook } from '../../domain/webhook.ts'
import type { ActivationStore } from '../../storage/ports/activation.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { requireSegment, segmentParamsSchema } from '../http/segment-lookup.ts'

export interface WebhookRouteDependencies {
  store: ActivationStore
  /**
   * Told about new webhooks so their first delivery does not wait for a sweep; asked whether it
   * would deliver to a URL, so a refused target is a 400 at registration and not a failing delivery.
   */
  dispatcher: Pick<WebhookDispatcher, 'kick' | 'forget' | 'checkTarget'>
  /** The configured consent purposes, which required_consent may name (default DEFAULT_CONSENT_PURPOSES). */
  consentPurposes?: readonly string[]
}

// Counting a webhook's backlog stops here, so listing webhooks stays fast however far behind one is.
const LAG_COUNT_CAP = 10_000

const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    segment_id: { type: 'string' },
    url: { type: 'string' },
    delivered_cursor: { type: 'string' },
    pending_changes: { type: 'integer' },
    attempts: { type: 'integer' },
    next_attempt_at: { type: ['string', 'null'] },
    last_error: { type: ['string', 'null'] },
    last_delivered_at: { type: ['string', 'null'] },
    required_consent: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
  },
} as const

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString()
}

/** Configured purposes by their keys, each once; an unknown one is a 400 naming the configured ones. */
function readRequiredConsent(names: readonly string[] | undefined, purposes: readonly string[]): string[] {
  const wanted = [...new Set((names ?? []).map(consentPurposeKey))]
  const unknown = wanted.filter((p) => !purposes.includes(p))
  if (unknown.length > 0) {
    throw new AppError('invalid_input', `required_consent: no consent purpose ${unknown.map((p) => `"${p}"`).join(', ')}; the configured purposes are ${purposes.join(', ')} (CDP_CONSENT_PURPOSES)`)
  }
  return wanted
}

function parseWebhookUrl(text: string, dispatcher: Pick<WebhookDispatcher, 'checkTarget'>): string {
  if (!URL.canParse(text)) throw new AppError('invalid_input', `url: must be an absolute http or https URL (got "${text}")`)
  const url = new URL(text)
  const verdict = dispatcher.checkTarget(url)
  if (verdict.kind === 'refused') throw new AppError('invalid_input', `url: ${verdict.reason}`)
  return url.href
}

export async function webhookRoutes(fastify: FastifyInstance, deps: WebhookRouteDependencies): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  const { store, dispatcher } = deps

  app.post(
    '/api/segments/:id/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Register a webhook that receives the segment's changes, signed with its secret (shown only this once)",
        params: segmentParamsSchema,
        body: {
          type: 'object',
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2048 },
            secret: { type: 'string', minLength: 16, maxLength: 256 },
            from: { type: 'string', enum: ['latest', 'beginning'], default: 'latest' },
            required_consent: {
              type: 'array',
              maxItems: 20,
              items: { type: 'string', minLength: 1, maxLength: 64 },
              description: "purposes a profile must have granted when a change is sent for its 'entered' changes to be delivered ('left' changes always are)",
            },
          },
          required: ['url'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              segment_id: { type: 'string' },
              url: { type: 'string' },
              secret: { type: 'string' },
              from_change: { type: 'string' },
              required_consent: { type: 'array', items: { type: 'string' } },
              created_at: { type: 'string' },
            },
          },
          400: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const body = request.body
      const url = parseWebhookUrl(body.url, dispatcher)
      const requiredConsent = readRequiredConsent(body.required_consent, deps.consentPurposes ?? DEFAULT_CONSENT_PURPOSES)
      const segmentId = await requireSegment(store, id)
      // By default a new webhook hears about changes from now on, not the segment's whole history.
      const deliveredChangeId = body.from === 'beginning' ? 0 : await store.latestChangeId(segmentId)
      const webhook = await store.createWebhook({
        id: `whk_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
        segmentId,
        url,
        secret: body.secret ?? randomBytes(32).toString('hex'),
        deliveredChangeId,
        requiredConsent,
        now: Date.now(),
      })
      dispatcher.kick(segmentId)
      return reply.code(201).send({
        id: webhook.id,
        segment_id: webhook.segmentId,
        url: webhook.url,
        secret: webhook.secret,
        from_change: encodeChangeCursor(webhook.deliveredChangeId),
        required_consent: [...webhook.requiredConsent],
        created_at: new Date(webhook.createdAt).toISOString(),
      })
    },
  )

  app.get(
    '/api/segments/:id/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "A segment's webhooks with their delivery state (never their secrets)",
        params: segmentParamsSchema,
        response: { 200: { type: 'array', items: webhookSchema }, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const { id } = request.params
      const segmentId = await requireSegment(store, id)
      const webhooks = await store.listWebhooks(segmentId)
      return await Promise.all(webhooks.map(async (w) => webhookToJson(w, await store.countChangesAfter({ segmentId, afterId: w.deliveredChangeId, cap: LAG_COUNT_CAP }))))
    },
  )

  app.delete(
    '/api/segments/:id/webhooks/:webhookId',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a webhook; a delivery already in flight still completes',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 200 }, webhookId: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['id', 'webhookId'],
        },
        response: { 204: { type: 'null' }, 404: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { id, webhookId } = request.params
      const segmentId = await requireSegment(store, id)
      if (!(await store.deleteWebhook({ segmentId, webhookId, now: Date.now() }))) {
        throw new AppError('not_found', `segment "${segmentId}" has no webhook "${webhookId}": list them with GET /api/segments/${segmentId}/webhooks`)
      }
      dispatcher.forget(webhookId)
      return reply.code(204).send()
    },
  )
}

function webhookToJson(webhook: Webhook, pendingChanges: number) {
  return {
    id: webhook.id,
    segment_id: webhook.segmentId,
    url: webhook.url,
    delivered_cursor: encodeChangeCursor(webhook.deliveredChangeId),
    pending_changes: pendingChanges,
    required_consent: [...webhook.requiredConsent],
    attempts: webhook.attempts,
    next_attempt_at: webhook.attempts > 0 ? isoOrNull(webhook.nextAttemptAt) : null,
    last_error: webhook.lastError,
    last_delivered_at: isoOrNull(webhook.lastDeliveredAt),
    created_at: new Date(webhook.createdAt).toISOString(),
  }
}
