import { describe, expect, it } from 'vitest'
import { correctedTime, eventInterests, parseInterestProperties, translateMessage } from './segment-spec.ts'

const receivedAt = Date.UTC(2026, 5, 1, 12)

describe('translateMessage', () => {
  it('maps identify traits onto profile fields and keeps the rest as traits', () => {
    const t = translateMessage(
      { type: 'identify', anonymousId: 'a1', userId: 'Jane@Example.com', messageId: 'm1', traits: { name: 'Jane', phone: '+1 415 555 0100', address: { city: 'Austin', postalCode: '78701' }, interests: ['golf'] } },
      { receivedAt },
    )
    expect(t.errors).toEqual([])
    expect(t.userId).toBeNull() // the userId is the email
    expect(t.record).toEqual({ cookie: 'a1', email: 'Jane@Example.com', timestamp: receivedAt, name: 'Jane', phone: '+1 415 555 0100', city: 'Austin', address: { postalCode: '78701' }, interests: ['golf'] })
    expect(t.event).toBeNull()
  })

  it('keys a message with only a non-email userId by that userId', () => {
    const t = translateMessage({ type: 'track', userId: 'u-7', event: 'Login', messageId: 'm2' }, { receivedAt })
    expect(t.record).toMatchObject({ cookie: 'uid:u-7', user_id: 'u-7' })
    expect(t.userId).toBe('u-7')
    expect(t.event).toEqual({ type: 'track', name: 'Login', properties: {}, context: null })
  })

  it('keys a message with only an email-shaped userId by a cookie of that userId, never "uid:null"', () => {
    const t = translateMessage({ type: 'track', userId: 'jane@example.com', event: 'Login', messageId: 'm3' }, { receivedAt })
    expect(t.record).toMatchObject({ cookie: 'uid:jane@example.com', email: 'jane@example.com' })
    expect(t.userId).toBeNull()
    expect(t.keyedByUserId).toBe(true)
  })

  it('reads the email of context.traits on any call, traits.email first', () => {
    const track = translateMessage({ type: 'track', anonymousId: 'a9', event: 'Login', context: { traits: { email: 'kim@example.com' } } }, { receivedAt })
    expect(track.record).toMatchObject({ cookie: 'a9', email: 'kim@example.com' })
    const both = translateMessage({ type: 'identify', anonymousId: 'a9', traits: { email: 'own@example.com' }, context: { traits: { email: 'ctx@example.com' } } }, { receivedAt })
    expect(both.record).toMatchObject({ email: 'own@example.com' })
    // A stray value in context never costs the event.
    const stray = translateMessage({ type: 'track', anonymousId: 'a9', event: 'Login', context: { traits: { email: 'n/a' } } }, { receivedAt })
    expect(stray.record).not.toHaveProperty('email')
  })

  it('turns page and screen calls into named events with their page name and category', () => {
    const page = translateMessage({ type: 'page', anonymousId: 'a', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } }, { receivedAt })
    expect(page.event).toMatchObject({ type: 'page', name: 'Page Viewed', properties: { path: '/pricing', name: 'Pricing', category: 'Docs' } })
    expect(page.record?.interests).toEqual(['Docs'])
    const screen = translateMessage({ type: 'screen', anonymousId: 'a', name: 'Home' }, { receivedAt })
    expect(screen.event?.name).toBe('Screen Viewed')
  })

  it('reads alias as: previousId is now userId', () => {
    const t = translateMessage({ type: 'alias', previousId: 'anon-9', userId: 'ann@example.com' }, { receivedAt })
    expect(t.record).toMatchObject({ cookie: 'anon-9', email: 'ann@example.com' })
    expect(translateMessage({ type: 'alias', userId: 'x' }, { receivedAt }).errors[0]?.field).toBe('previousId')
  })

  it('names each problem and the field to fix', () => {
    const fields = (value: unknown, impliedType?: 'track') => translateMessage(value, { receivedAt, impliedType }).errors.map((e) => e.field)
    expect(fields([])).toEqual([''])
    expect(fields({ anonymousId: 'a' })).toEqual(['type'])
    expect(fields({ type: 'track', anonymousId: 'a' })).toEqual(['event'])
    expect(fields({ type: 'track', event: 'E' })).toEqual(['anonymousId'])
    expect(fields({ type: 'identify', anonymousId: 'a', traits: 'x' })).toEqual(['traits'])
    expect(fields({ type: 'page', anonymousId: 'a' }, 'track')).toEqual(['type'])
    expect(fields({ type: 'track', anonymousId: 'a', event: 'E', timestamp: 'noon' })).toEqual(['timestamp'])
    expect(fields({ type: 'track', anonymousId: { id: 1 }, event: 'E' })).toEqual(['anonymousId', 'anonymousId'])
  })

  it('uses the messageId as the de-duplication key, or a hash of the message without one', () => {
    expect(translateMessage({ type: 'track', anonymousId: 'a', event: 'E', messageId: 'abc' }, { receivedAt }).messageId).toBe('abc')
    const a = translateMessage({ type: 'track', anonymousId: 'a', event: 'E', sentAt: '2026-01-01T00:00:00Z' }, { receivedAt })
    const b = translateMessage({ type: 'track', anonymousId: 'a', event: 'E', sentAt: '2026-01-02T00:00:00Z' }, { receivedAt })
    expect(a.messageId).toMatch(/^hash:/)
    expect(a.messageId).toBe(b.messageId)
  })
})

describe('correctedTime', () => {
  it('keeps the delay the client measured and drops its clock offset', () => {
    expect(correctedTime({ timestamp: 1_000, sentAt: 5_000, receivedAt: 100_000 })).toBe(96_000)
    expect(correctedTime({ timestamp: 1_000, sentAt: null, receivedAt: 100_000 })).toBe(1_000)
    expect(correctedTime({ timestamp: null, sentAt: 5_000, receivedAt: 100_000 })).toBe(100_000)
    // A timestamp after sentAt is a clock oddity, not a negative delay.
    expect(correctedTime({ timestamp: 6_000, sentAt: 5_000, receivedAt: 100_000 })).toBe(100_000)
  })
})

describe('event interests', () => {
  it('reads the mapped properties of matching events', () => {
    const mapping = parseInterestProperties('*:category, Product Viewed:product.brand')
    expect(mapping).toEqual([
      { event: '*', property: 'category' },
      { event: 'Product Viewed', property: 'product.brand' },
    ])
    const event = { type: 'track' as const, name: 'Product Viewed', properties: { category: 'golf', product: { brand: 'Nike' } }, context: null }
    expect(eventInterests(event, mapping)).toEqual(['golf', 'Nike'])
    expect(eventInterests({ ...event, name: 'Other' }, mapping)).toEqual(['golf'])
    expect(() => parseInterestProperties('Product Viewed:')).toThrow(/names no property/)
  })
})

describe('consent (Segment consent spec)', () => {
  it('puts context.consent.categoryPreferences of configured purposes on the record, on any message type', () => {
    const context = { consent: { categoryPreferences: { Advertising: true, 'Marketing Email': false, C0004: true } } }
    for (const type of ['identify', 'track', 'page'] as const) {
      const t = translateMessage({ type, anonymousId: 'a1', event: 'Saved', messageId: `m-${type}`, context }, { receivedAt })
      expect(t.record?.consent).toEqual({ advertising: true, marketing_email: false })
    }
  })

  it('leaves the record without consent when no category is a configured purpose', () => {
    const t = translateMessage({ type: 'track', anonymousId: 'a1', event: 'Saved', context: { consent: { categoryPreferences: { C0004: true } } } }, { receivedAt, consentPurposes: ['sms'] })
    expect(t.record).not.toHaveProperty('consent')
  })
})
