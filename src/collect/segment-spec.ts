// Segment-spec messages (identify, track, page, screen, group, alias) → what the pipeline stores: a
// profile record in the same shape POST /api/ingest takes (so identity resolution, validation and
// merging are the very same code), and for track, page and screen a behavioural event.
//
// Identity: anonymousId is the cookie. An email in traits (or a userId that is an email) is the
// email, so identify runs the same resolution and merge rules as profile ingest. A userId that is
// not an email is kept as its own identifier kind (see events/ingest.ts); a message that carries only
// such a userId is keyed by it as if it were a device ("uid:<userId>") until the userId is linked.
import { createHash } from 'node:crypto'
import type { FieldIssue } from '../domain/types.ts'
import { normalizeEmail } from '../domain/email.ts'
import { consentPurposeKey, DEFAULT_CONSENT_PURPOSES } from '../domain/consent.ts'
import { describeValue, isPlainObject } from '../domain/text.ts'
import { parseTimestamp } from '../domain/timestamp.ts'

export const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const
export type MessageType = (typeof MESSAGE_TYPES)[number]

/** The spec's limits: larger messages and batches are refused, each with its own error. */
export const MAX_MESSAGE_BYTES = 32 * 1024
export const MAX_BATCH_BYTES = 500 * 1024

const MAX_ID_LENGTH = 200
const MAX_EVENT_NAME = 200
import { USER_ID_COOKIE_PREFIX } from '../domain/identity.ts'
export { USER_ID_COOKIE_PREFIX }
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Traits that are profile fields; Segment's reserved names first, then this product's own. */
const TRAIT_FIELDS: Record<string, string> = {
  email: 'email',
  phone: 'phone',
  age: 'age',
  gender: 'gender',
  income: 'income',
  education: 'education',
  interests: 'interests',
}
const ADDRESS_FIELDS: Record<string, string> = { city: 'city', state: 'state', country: 'country', countryCode: 'country_code', country_code: 'country_code' }

export interface EventRecord {
  type: 'track' | 'page' | 'screen'
  name: string
  properties: Record<string, unknown>
  context: Record<string, unknown> | null
}

export interface TranslatedMessage {
  /** The sender's messageId, or a hash of the message when it has none: the de-duplication key. */
  messageId: string
  type: MessageType | null
  anonymousId: string | null
  /** A userId that is not an email: an identifier of its own kind. */
  userId: string | null
  /** The message has no anonymousId: its cookie is derived from its userId ("uid:<userId>"). */
  keyedByUserId: boolean
  /** For the profile pipeline (validateRecord); null when the message is rejected. */
  record: Record<string, unknown> | null
  event: EventRecord | null
  errors: FieldIssue[]
  /** context.ip and context.userAgent as sent, for likely matches (domain/likely-match.ts); absent when neither is. */
  device?: DeviceFacts
}

/** Where a message came from: its context.ip and context.userAgent (or the HTTP request's, filled by the /v1 route). */
export interface DeviceFacts {
  ip: string | null
  userAgent: string | null
}

const MAX_DEVICE_TEXT = 500

/** context.ip and context.userAgent when they are non-empty text of a sane length. */
export function deviceOf(context: Record<string, unknown> | null): DeviceFacts | undefined {
  if (!context) return undefined
  const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_DEVICE_TEXT ? value.trim() : null)
  const ip = text(context.ip)
  const userAgent = text(context.userAgent)
  return ip === null && userAgent === null ? undefined : { ip, userAgent }
}

export interface TranslateOptions {
  receivedAt: number
  /** The batch's sentAt, used when the message has none of its own. */
  sentAt?: unknown
  /** The type implied by the endpoint (/v1/track); a message's own type must then agree or be absent. */
  impliedType?: MessageType
  /** Event property → interest mapping (config): `*` matches every event name. */
  interestProperties?: readonly InterestProperty[]
  /** The configured consent purposes: the categories of context.consent.categoryPreferences that are read. */
  consentPurposes?: readonly string[]
}

export interface InterestProperty {
  event: string
  property: string
}

export const DEFAULT_INTEREST_PROPERTIES: readonly InterestProperty[] = [{ event: '*', property: 'category' }]

function issue(field: string, message: string, reason: FieldIssue['reason'] = 'invalid_message'): FieldIssue {
  return { field, reason, message }
}

function readId(value: unknown, field: string, errors: FieldIssue[]): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') {
    errors.push(issue(field, `${field} must be a string, got ${describeValue(value)}`))
    return null
  }
  const text = value.trim()
  if (text.length > MAX_ID_LENGTH) {
    errors.push(issue(field, `${field} must be at most ${MAX_ID_LENGTH} characters, got ${text.length}`))
    return null
  }
  return text === '' ? null : text
}

function readObject(value: unknown, field: string, errors: FieldIssue[]): Record<string, unknown> | null {
  if (value === undefined || value === null) return null
  if (isPlainObject(value)) return value
  errors.push(issue(field, `${field} must be an object, got ${describeValue(value)}`))
  return null
}

function emailOf(traits: Record<string, unknown> | null): string | null {
  return traits && typeof traits.email === 'string' && traits.email.trim() !== '' ? traits.email : null
}

export function looksLikeEmail(text: string): boolean {
  return EMAIL_SHAPE.test(text.trim())
}

/**
 * The event's time on the server's clock. A client's clock may be off: the spec's correction is
 * receivedAt − (sentAt − timestamp), i.e. keep the delay the client measured and drop its offset.
 */
export function correctedTime(input: { timestamp: number | null; sentAt: number | null; receivedAt: number }): number {
  const { timestamp, sentAt, receivedAt } = input
  if (timestamp === null) return receivedAt
  if (sentAt === null) return timestamp
  return receivedAt - Math.max(0, sentAt - timestamp)
}

/** A content hash for messages without a messageId: the same message twice is one message. */
function hashMessage(message: Record<string, unknown>): string {
  const { sentAt: _sentAt, writeKey: _writeKey, ...rest } = message
  return `hash:${createHash('sha256').update(JSON.stringify(rest)).digest('base64url').slice(0, 22)}`
}

export function translateMessage(value: unknown, options: TranslateOptions): TranslatedMessage {
  const errors: FieldIssue[] = []
  if (!isPlainObject(value)) {
    errors.push(issue('', `a message must be a JSON object like {"type":"track","anonymousId":"…","event":"…"}, got ${describeValue(value)}`))
    return { messageId: '', type: null, anonymousId: null, userId: null, keyedByUserId: false, record: null, event: null, errors }
  }
  const messageId = readId(value.messageId, 'messageId', errors) ?? hashMessage(value)
  const declared = value.type
  let type: MessageType | null = options.impliedType ?? null
  if (declared !== undefined && declared !== null) {
    if (typeof declared !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(declared)) {
      errors.push(issue('type', `type must be one of ${MESSAGE_TYPES.join(', ')}, got ${describeValue(declared)}`))
    } else if (options.impliedType && declared !== options.impliedType) {
      errors.push(issue('type', `type "${declared}" was sent to /v1/${options.impliedType}: send it to /v1/${declared} or /v1/batch`))
      type = null
    } else {
      type = declared as MessageType
    }
  } else if (!type) {
    errors.push(issue('type', `type is required in a batch: one of ${MESSAGE_TYPES.join(', ')}`))
  }

  const anonymousId = readId(value.anonymousId, 'anonymousId', errors)
  let userId = readId(value.userId, 'userId', errors)
  const previousId = type === 'alias' ? readId(value.previousId, 'previousId', errors) : null
  const traits = readObject(value.traits, 'traits', errors)
  const properties = readObject(value.properties, 'properties', errors) ?? {}
  const context = readObject(value.context, 'context', errors)
  if (type === 'alias' && !previousId) errors.push(issue('previousId', 'previousId is required for alias: the id the user was known by before userId'))
  if (!anonymousId && !userId && type !== 'alias') {
    errors.push(issue('anonymousId', 'anonymousId or userId is required: anonymousId is the visitor\'s cookie, userId your id for a known user', 'missing_cookie'))
  }

  let name: string | null = null
  if (type === 'track') {
    const event = value.event
    if (typeof event !== 'string' || event.trim() === '') {
      errors.push(issue('event', `event is required for track: the action's name, like "Order Completed"; got ${describeValue(event)}`))
    } else if (event.trim().length > MAX_EVENT_NAME) {
      errors.push(issue('event', `event must be at most ${MAX_EVENT_NAME} characters, got ${event.trim().length}`))
    } else {
      name = event.trim()
    }
  }

  const timestampValue = value.timestamp ?? value.originalTimestamp
  const timestamp = timestampValue === undefined || timestampValue === null ? null : parseTimestamp(timestampValue)
  if (timestampValue !== undefined && timestampValue !== null && timestamp === null) {
    errors.push(issue('timestamp', `timestamp must be an ISO-8601 time like "2026-01-31T12:00:00Z", got ${describeValue(timestampValue)}`, 'bad_timestamp'))
  }
  const sentAtValue = value.sentAt ?? options.sentAt
  const sentAt = sentAtValue === undefined || sentAtValue === null ? null : parseTimestamp(sentAtValue)

  if (errors.length > 0 || !type) return { messageId, type, anonymousId, userId, keyedByUserId: false, record: null, event: null, errors }

  // Who: the cookie, and the email when the message names one. A message without an anonymousId is
  // keyed by a cookie derived from its own userId, taken before an email-shaped userId is folded
  // into the email, so two people can never share a derived cookie.
  // The spec carries the current user's traits on any call as context.traits (analytics.js does so
  // for a known user): its email names the person as traits.email does, which wins when both are set.
  // Only an address-shaped one is taken: context is incidental, and a stray value there must not get
  // the event rejected as an invalid email.
  const contextEmail = context && isPlainObject(context.traits) ? emailOf(context.traits) : null
  const traitEmail = emailOf(traits) ?? (contextEmail !== null && looksLikeEmail(contextEmail) ? contextEmail : null)
  const userIdCookie = userId === null ? null : `${USER_ID_COOKIE_PREFIX}${userId}`
  let email: string | null = traitEmail
  if (userId && looksLikeEmail(userId)) {
    email ??= userId
    if (normalizeEmail(userId) === normalizeEmail(email)) userId = null // the email is the identifier
  }
  if (type === 'alias' && previousId) {
    // alias(previousId → userId): the person known by previousId is userId from now on.
    return finish({ cookie: previousId, email, userId, keyedByUserId: false })
  }
  if (anonymousId !== null) return finish({ cookie: anonymousId, email, userId, keyedByUserId: false })
  // Checked above: a message without an anonymousId has a userId.
  return finish({ cookie: userIdCookie as string, email, userId, keyedByUserId: true })

  function finish(who: { cookie: string; email: string | null; userId: string | null; keyedByUserId: boolean }): TranslatedMessage {
    const at = correctedTime({ timestamp, sentAt, receivedAt: options.receivedAt })
    const record: Record<string, unknown> = { cookie: who.cookie, timestamp: at }
    if (who.email !== null) record.email = who.email
    if (who.userId !== null) record.user_id = who.userId
    const identifiers = contextIdentifiers(context)
    if (identifiers) record.identifiers = identifiers
    let event: EventRecord | null = null
    if (type === 'identify' && traits) copyTraits(traits, record)
    if (type === 'group' && isPlainObject(value)) {
      const groupId = readId(value.groupId, 'groupId', [])
      if (groupId) record.group = { id: groupId, ...(traits ?? {}) }
    }
    if (type === 'track' && name) event = { type: 'track', name, properties, context }
    if (type === 'page' || type === 'screen') {
      const pageName = isPlainObject(value) ? readId(value.name, 'name', []) : null
      const props = { ...properties }
      if (pageName !== null && props.name === undefined) props.name = pageName
      if (isPlainObject(value) && typeof value.category === 'string' && props.category === undefined) props.category = value.category
      event = { type, name: type === 'page' ? 'Page Viewed' : 'Screen Viewed', properties: props, context }
    }
    const consent = categoryConsent(context, options.consentPurposes ?? DEFAULT_CONSENT_PURPOSES)
    if (consent) record.consent = isPlainObject(record.consent) ? { ...record.consent, ...consent } : consent
    if (event) {
      const interests = eventInterests(event, options.interestProperties ?? DEFAULT_INTEREST_PROPERTIES)
      if (interests.length > 0) record.interests = interests
    }
    const device = deviceOf(context)
    return { messageId, type, anonymousId, userId: who.userId, keyedByUserId: who.keyedByUserId, record, event, errors: [], ...(device ? { device } : {}) }
  }
}

/**
 * Segment's consent spec: every message may carry context.consent.categoryPreferences, the user's
 * choice per category ({"Advertising": true, "Marketing Email": false}). Categories are matched to
 * the configured purposes by consentPurposeKey; others are a tool's own (a CMP's "C0004") and are
 * left out here (the raw record keeps them). The record's `consent` then says it as a profile
 * record would, so validation reads both the same way; it wins over a `consent` trait of identify.
 */
function categoryConsent(context: Record<string, unknown> | null, purposes: readonly string[]): Record<string, unknown> | null {
  const consent = context?.consent
  if (!isPlainObject(consent) || !isPlainObject(consent.categoryPreferences)) return null
  const out: Record<string, unknown> = {}
  for (const [category, value] of Object.entries(consent.categoryPreferences)) {
    const purpose = consentPurposeKey(category)
    if (purposes.includes(purpose)) out[purpose] = value
  }
  return Object.keys(out).length > 0 ? out : null
}

/**
 * Identifiers a message's context carries besides its ids: the device's (context.device.id, an app's
 * advertising-free install id) and context.externalIds ([{id, type}], Segment's way to send any
 * other kind). Validation decides which kinds count (the declared ones) and warns about the rest.
 */
function contextIdentifiers(context: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!context) return null
  const out: Record<string, unknown> = {}
  if (isPlainObject(context.device) && (typeof context.device.id === 'string' || typeof context.device.id === 'number')) out.device_id = context.device.id
  if (Array.isArray(context.externalIds)) {
    for (const external of context.externalIds) {
      if (!isPlainObject(external) || typeof external.type !== 'string' || (typeof external.id !== 'string' && typeof external.id !== 'number')) continue
      const kind = external.type.trim().toLowerCase().replace(/[^a-z0-9_]+/g, '_')
      // An email is the record's email (traits.email); a cookie its anonymousId.
      if (kind === 'email' || kind === 'cookie' || kind === 'anonymous_id') continue
      out[kind === 'userid' ? 'user_id' : kind] = external.id
    }
  }
  return Object.keys(out).length > 0 ? out : null
}

/** Traits → profile record fields; the rest stay traits (as unknown fields of a profile record do). */
function copyTraits(traits: Record<string, unknown>, record: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(traits)) {
    if (key === 'cookie' || key === 'timestamp' || key === 'observed_at' || key === 'user_id') continue
    const field = TRAIT_FIELDS[key]
    if (field === 'email') continue // already the record's email
    if (field) record[field] = value
    else if (key === 'address' && isPlainObject(value)) {
      const rest: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) {
        const f = ADDRESS_FIELDS[k]
        if (f) record[f] = v
        else rest[k] = v
      }
      if (Object.keys(rest).length > 0) record.address = rest
    } else record[key] = value
  }
}

/** The values of mapped properties, e.g. a viewed product's category, as interests to classify. */
export function eventInterests(event: EventRecord, mapping: readonly InterestProperty[]): string[] {
  const out: string[] = []
  for (const { event: name, property } of mapping) {
    if (name !== '*' && name !== event.name) continue
    let value: unknown = event.properties
    for (const part of property.split('.')) value = isPlainObject(value) ? value[part] : undefined
    if (typeof value === 'string' && value.trim() !== '') out.push(value.trim())
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string' && v.trim() !== '') out.push(v.trim())
  }
  return out
}

/** "*:category,Product Viewed:brand" → the mapping; names every malformed entry. */
export function parseInterestProperties(text: string): InterestProperty[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(':')
      const event = at > 0 ? entry.slice(0, at).trim() : '*'
      const property = (at >= 0 ? entry.slice(at + 1) : entry).trim()
      if (property === '') throw new Error(`"${entry}" names no property: write "EVENT:property" or "*:property"`)
      return { event, property }
    })
}
