// The Segment-spec HTTP API (POST /v1/identify, track, page, screen, group, alias, batch, and
// analytics.js 2.0's short forms /v1/i, t, p, s, g, a, b), so the Segment libraries and our browser
// snippet send here unchanged. Authentication as that API does it: HTTP Basic with the write key (an
// API key with the ingest scope) as the user name, or a Bearer key, or `writeKey` in the body where
// no header can be set (navigator.sendBeacon).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parseJson } from '../../collect/json-text.ts'
import { stripBom } from '../../collect/body.ts'
import type { IncomingRecord } from '../../domain/types.ts'
import { AppError } from '../../errors.ts'
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, type MessageType } from '../../collect/segment-spec.ts'
import type { IngestReport } from '../../pipeline/report.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema, sendError, toAppError } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { readBodiesAsText, textBody } from '../http/text-body.ts'

const SINGLE_TYPES: readonly MessageType[] = ['identify', 'track', 'page', 'screen', 'group', 'alias']
const SOURCE = 'segment'

/**
 * Headers every preflight allows: what Segment's clients send (analytics.js adds X-Retry-Count on
 * retries) and Content-Encoding for compressed bodies. Headers a page asks for beyond these are
 * allowed too: the write key, not the origin or a cookie, is the credential here.
 */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'content-encoding', 'x-retry-count']
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/

function allowedHeaders(requested: string | undefined): string {
  const asked = (requested ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length <= 100 && HEADER_NAME.test(name))
    .slice(0, 50)
  return [...new Set([...ALLOWED_HEADERS, ...asked])].join(', ')
}

const BATCH_LIMITS = `the limit is ${MAX_BATCH_BYTES / 1024} KB per batch and ${MAX_MESSAGE_BYTES / 1024} KB per message`

const messageErrorSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer', description: '0-based position in the batch' },
    messageId: { type: 'string' },
    field: { type: 'string' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['index', 'field', 'reason', 'message'],
} as const

const resultSchema = {
  type: 'object',
  properties: {
    success: { type: 'boolean', description: 'true when every message was accepted (or was a duplicate)' },
    accepted: { type: 'integer' },
    duplicates: { type: 'integer', description: 'messages whose messageId was already received: stored once, not twice' },
    suppressed: { type: 'integer', description: 'messages refused because they carry a suppressed identifier (docs/privacy.md): never stored' },
    rejected: { type: 'integer' },
    errors: { type: 'array', items: messageErrorSchema },
  },
  required: ['success', 'accepted', 'duplicates', 'rejected', 'errors'],
} as const

const sourceQuerySchema = {
  type: 'object',
  properties: { source: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$', description: 'raw-store source name (default "segment")' } },
} as const

interface Body {
  value: Record<string, unknown>
}

/** The body as a JSON object; every way it can be wrong answered with what to fix. */
function readBody(request: FastifyRequest): Body {
  const text = stripBom(textBody(request))
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_BATCH_BYTES) {
    throw new AppError(
      'payload_too_large',
      `this request is ${(bytes / 1024).toFixed(0)} KB; the limit is ${MAX_BATCH_BYTES / 1024} KB per batch: send fewer messages per batch`,
    )
  }
  if (text.trim() === '') throw new AppError('invalid_input', 'the body is empty: send a JSON object')
  const parsed = parseJson(text)
  if (parsed.kind === 'rejected') {
    const where = parsed.detail.line !== undefined ? ` at line ${parsed.detail.line}, column ${parsed.detail.column}` : ''
    throw new AppError('invalid_input', `the body is not valid JSON${where}: ${parsed.reason}`)
  }
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    throw new AppError('invalid_input', 'the body must be a JSON object: a message, or {"batch": [messages]} for /v1/batch')
  }
  return { value: parsed.value as Record<string, unknown> }
}

function toResult(report: IngestReport, messageIds: ReadonlyMap<number, string>) {
  return {
    success: report.failed === 0,
    accepted: report.accepted,
    duplicates: report.duplicates,
    suppressed: report.suppressed,
    rejected: report.failed,
    errors: report.errors.map((e) => ({
      index: e.record,
      ...(messageIds.has(e.record) ? { messageId: messageIds.get(e.record) } : {}),
      field: e.field,
      reason: e.reason,
      message: e.message,
    })),
  }
}

function messageIdsOf(records: readonly IncomingRecord[]): Map<number, string> {
  const ids = new Map<number, string>()
  for (const r of records) {
    const id = (r.value as { messageId?: unknown } | null)?.messageId
    if (typeof id === 'string') ids.set(r.index, id)
  }
  return ids
}

export async function segmentApiRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Bodies are read as text whatever their type: the spec's clients send application/json, and
  // sendBeacon sends text/plain to avoid a CORS preflight.
  readBodiesAsText(fastify, {
    tooLarge: () => `the body is too large once decompressed: ${BATCH_LIMITS}, counted after decompression; send fewer messages per batch`,
  })
  const app = fastify.withTypeProvider<SchemaRequestTypes>()

  // Websites post from their own origin; the write key, not the origin, is the credential. Set on
  // every request before anything can fail, so error answers carry them too: without them a browser
  // hides the answer from the page and the client cannot tell a bad key from an outage.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    reply.header('access-control-allow-origin', origin ?? '*')
    // Lets clients configured with credentials: 'include' send; there is no cookie to protect.
    if (origin !== undefined) reply.header('access-control-allow-credentials', 'true')
    reply.header('vary', 'Origin, Access-Control-Request-Headers')
    reply.header('access-control-allow-methods', 'POST, OPTIONS')
    reply.header('access-control-allow-headers', allowedHeaders(request.headers['access-control-request-headers']))
    reply.header('access-control-max-age', '86400')
  })
  app.options('/v1/*', { schema: { hide: true } }, async (_request, reply) => reply.code(204).send())
  // Unknown /v1 paths are answered here rather than by the app's 404, so the answer has CORS headers.
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v1/*',
    schema: { hide: true },
    handler: async (request) => {
      throw new AppError(
        'not_found',
        `no route ${request.method} ${request.url.split('?')[0]}: the Segment-spec endpoints are POST /v1/identify, track, page, screen, group, alias and batch (or /v1/i, t, p, s, g, a, b)`,
      )
    },
  })

  // Bodies past the route's read limit are refused before our own check can name the spec's limit.
  app.setErrorHandler((error, request, reply) => {
    const tooLarge = (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
    const appError = tooLarge ? new AppError('payload_too_large', `${BATCH_LIMITS}: send fewer messages per batch`) : toAppError(error, { maxBodyBytes: ctx.config.maxBodyBytes, describeOutage: ctx.store.describeOutage })
    if (appError.code === 'internal') request.log.error({ err: error }, 'request failed')
    else if (appError.code === 'unavailable') request.log.warn({ err: error }, 'request failed: the database is unavailable')
    return sendError(request, reply, appError)
  })

  async function authenticate(request: FastifyRequest, body: Body): Promise<void> {
    const writeKey = typeof body.value.writeKey === 'string' ? body.value.writeKey : undefined
    await ctx.authenticate(request, 'ingest', writeKey)
  }

  const receive = async (request: FastifyRequest, reply: FastifyReply, type: MessageType | 'batch', query: { source?: string }) => {
    const body = readBody(request)
    await authenticate(request, body)
    const source = query.source ?? SOURCE
    // Likely matches (only when on): the request's IP and User-Agent stand in for messages whose
    // context names none, as the browser snippet's calls come straight from the visitor's browser.
    // A server library's request (no browser user agent) is its server's address: not the visitor's.
    const userAgent = request.headers['user-agent'] ?? ''
    const client = ctx.likelyMatches.enabled && userAgent.startsWith('Mozilla/') ? { client: { ip: request.ip || null, userAgent } } : {}
    if (type === 'batch') {
      const batch = body.value.batch
      if (!Array.isArray(batch)) {
        throw new AppError('invalid_input', `"batch" must be an array of messages, got ${batch === undefined ? 'nothing' : typeof batch}`)
      }
      const records: IncomingRecord[] = batch.map((value: unknown, index) => ({ index, value }))
      const report = await ctx.pipeline.ingestMessages({ messages: records, source, sentAt: body.value.sentAt, ...client })
      return toResult(report, messageIdsOf(records))
    }
    const { writeKey: _writeKey, ...message } = body.value
    const records: IncomingRecord[] = [{ index: 0, value: message }]
    const report = await ctx.pipeline.ingestMessages({ messages: records, source, impliedType: type, ...client })
    const result = toResult(report, messageIdsOf(records))
    if (report.failed > 0) {
      // One message: its rejection is the request's. The raw store keeps it for review and replay.
      throw new AppError('invalid_input', result.errors.map((e) => `${e.field ? `${e.field}: ` : ''}${e.message}`).join('; '))
    }
    return reply.send(result)
  }

  const schema = (summary: string) => ({
    summary,
    tags: ['Segment-spec API'],
    consumes: ['application/json', 'text/plain'],
    security: [{ basic: [] }, { bearer: [] }] as Array<Record<string, string[]>>,
    headers: {
      type: 'object',
      properties: { 'content-encoding': { type: 'string', description: 'gzip, deflate or identity; the limits count decoded bytes' } },
    },
    querystring: sourceQuerySchema,
    response: { 200: resultSchema, 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 413: errorResponseSchema },
  })

  // Bodies up to the batch limit are read so an oversize one gets our own error, not a bare 413.
  const bodyLimit = MAX_BATCH_BYTES * 2
  const batchSummary = 'Many messages of any type: {"batch": [...], "sentAt": "..."}; each is accepted or rejected on its own'
  app.post('/v1/batch', { bodyLimit, schema: schema(batchSummary) }, (request, reply) => receive(request, reply, 'batch', request.query))
  // analytics.js 2.0 posts to the type's first letter (/v1/t, /v1/b); same endpoints, left out of the OpenAPI.
  app.post('/v1/b', { bodyLimit, schema: { ...schema(batchSummary), hide: true } }, (request, reply) => receive(request, reply, 'batch', request.query))
  for (const type of SINGLE_TYPES) {
    app.post(`/v1/${type}`, { bodyLimit, schema: schema(`One ${type} message (Segment spec)`) }, (request, reply) => receive(request, reply, type, request.query))
    app.post(`/v1/${type.charAt(0)}`, { bodyLimit, schema: { ...schema(`One ${type} message (Segment spec)`), hide: true } }, (request, reply) =>
      receive(request, reply, type, request.query),
    )
  }
}
