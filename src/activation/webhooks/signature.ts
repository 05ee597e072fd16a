// Webhook signatures, so receivers can tell our deliveries from forgeries and replays.
//
// Every delivery carries:
//   x-cdp-timestamp: <unix seconds when this attempt was sent>
//   x-cdp-signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>
// where `secret` is the webhook's secret as shown once at creation (the hex text itself is the key)
// and rawBody is the request body exactly as received, before any JSON parsing. A receiver
// recomputes the HMAC, compares in constant time, and rejects timestamps too far from its own
// clock, which stops a captured request from being replayed later. See docs/segments.md.
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_VERSION = 'v1'
const DEFAULT_TOLERANCE_SECONDS = 300

export function signPayload(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return `${SIGNATURE_VERSION}=${digest}`
}

/**
 * True when `header` (the x-cdp-signature value) holds a valid v1 signature of `body` sent at
 * `timestamp` (the x-cdp-timestamp value), and the timestamp lies within `toleranceSeconds` of
 * `now`. The header may list several comma-separated signatures; one valid one is enough.
 */
export function verifySignature(
  secret: string,
  timestamp: string | number,
  body: string,
  header: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const seconds = Number(timestamp)
  if (!Number.isInteger(seconds)) return false
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000)
  if (Math.abs(nowSeconds - seconds) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false
  const expected = Buffer.from(signPayload(secret, seconds, body), 'utf8')
  return header.split(',').some((part) => {
    const candidate = Buffer.from(part.trim(), 'utf8')
    return candidate.length === expected.length && timingSafeEqual(candidate, expected)
  })
}
