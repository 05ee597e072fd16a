import { describe, expect, it } from 'vitest'
import { signPayload, verifySignature } from './signature.ts'

const secret = 'a'.repeat(64)
const body = '{"changes":[]}'
const now = 1_700_000_000_000
const timestamp = now / 1000

describe('webhook signatures', () => {
  it('accepts a signature made with the same secret, timestamp and body', () => {
    expect(verifySignature(secret, String(timestamp), body, signPayload(secret, timestamp, body), { now })).toBe(true)
  })

  it('accepts one valid signature among several (secret rotation)', () => {
    const header = `v1=${'0'.repeat(64)}, ${signPayload(secret, timestamp, body)}`
    expect(verifySignature(secret, timestamp, body, header, { now })).toBe(true)
  })

  it('rejects a changed body, another secret, another timestamp or a garbled header', () => {
    const header = signPayload(secret, timestamp, body)
    expect(verifySignature(secret, timestamp, `${body} `, header, { now })).toBe(false)
    expect(verifySignature('b'.repeat(64), timestamp, body, header, { now })).toBe(false)
    expect(verifySignature(secret, timestamp + 1, body, header, { now })).toBe(false)
    expect(verifySignature(secret, timestamp, body, 'v1=zz', { now })).toBe(false)
    expect(verifySignature(secret, 'soon', body, header, { now })).toBe(false)
  })

  it('rejects a timestamp outside the tolerance, which stops replays', () => {
    const old = timestamp - 301
    expect(verifySignature(secret, old, body, signPayload(secret, old, body), { now })).toBe(false)
    expect(verifySignature(secret, old, body, signPayload(secret, old, body), { now, toleranceSeconds: 600 })).toBe(true)
  })
})
