import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ValidationResult } from '../../domain/types.ts'
import { DEFAULT_EMAIL_BLOCKLIST, validateRecord } from './index.ts'

const options = { receivedAt: Date.UTC(2024, 5, 1), emailBlocklist: new Set(DEFAULT_EMAIL_BLOCKLIST), defaultPhoneCountry: 'US' as const }
const validate = (value: unknown) => validateRecord(value, options)

function accepted(result: ValidationResult) {
  if (result.kind !== 'ok') throw new Error(`rejected: ${JSON.stringify(result.detail.errors)}`)
  return { value: result.value.observation, warnings: result.value.warnings }
}
function rejected(result: ValidationResult) {
  if (result.kind !== 'rejected') throw new Error('accepted')
  return result.detail.errors
}

describe('validateRecord', () => {
  it('normalizes the customer raw example', () => {
    const { value } = accepted(
      validate({
        cookie: 'abc123',
        email: ' John.Doe@Example.com ',
        phone: '+1-555-123-4567',
        location: { city: 'Brooklyn', state: 'New York', country: 'USA' },
        demographics: { age: 35, gender: 'male', income: '$75,000-$100,000', education: "Bachelor's Degree" },
        interests: ['Tom Brady', 'Nike shoes'],
        timestamp: '2024-01-15T10:30:00Z',
      }),
    )
    expect(value).toEqual({
      cookie: 'abc123',
      email: 'john.doe@example.com',
      observedAt: Date.UTC(2024, 0, 15, 10, 30),
      fields: {
        phone: '+15551234567',
        phone_raw: '+1-555-123-4567',
        city: 'Brooklyn',
        state: 'New York',
        country: 'United States',
        country_code: 'US',
        age: 35,
        gender: 'male',
        income: '$75,000-$100,000',
        education: "Bachelor's Degree",
      },
      interests: ['tom brady', 'nike shoes'],
      traits: {},
    })
  })

  it('links the phone, read as E.164, when phone is a declared identifier kind', () => {
    const phoneKind = { kind: 'phone', blocked: [] }
    const { value } = accepted(validateRecord({ cookie: 'c', phone: '+1-555-123-4567' }, { ...options, identifierKinds: [phoneKind] }))
    expect(value.identifiers).toEqual([{ kind: 'phone', value: '+15551234567' }])
    expect(accepted(validate({ cookie: 'c', phone: '+1-555-123-4567' })).value.identifiers).toBeUndefined()
  })

  it('accepts CSV-style strings', () => {
    const { value } = accepted(validate({ cookie: 'c', demographics: { age: '35' }, interests: 'Golf; CHESS |golf', location: { country: 'us', state: 'ny' } }))
    expect(value.fields).toMatchObject({ age: 35, country_code: 'US', state: 'New York' })
    expect(value.interests).toEqual(['golf', 'chess'])
  })

  it.each([undefined, null, '', '  ', 'null', 'undefined', '0'])('rejects a missing or placeholder cookie %j', (cookie) => {
    expect(rejected(validate({ cookie, email: 'a@b.co' }))[0]).toMatchObject({ field: 'cookie', reason: 'missing_cookie' })
  })

  it('rejects a cookie that is an object or too long', () => {
    expect(rejected(validate({ cookie: { a: 1 } }))[0]?.reason).toBe('invalid_cookie')
    expect(rejected(validate({ cookie: 'x'.repeat(201) }))[0]?.reason).toBe('invalid_cookie')
    expect(accepted(validate({ cookie: 12345 })).value.cookie).toBe('12345')
  })

  it.each(['bob@', '@example.com', 'bob', 'bob@@example.com', 'bob smith@example.com', 'bob@example', 'bob@exa mple.com', 'a..b@example.com'])(
    'rejects the invalid email %j with a message that quotes it',
    (email) => {
      const [error] = rejected(validate({ cookie: 'c', email }))
      expect(error).toMatchObject({ field: 'email', reason: 'invalid_email' })
      expect(error?.message).toContain(email)
    },
  )

  it('drops junk and blocklisted emails without rejecting the record', () => {
    expect(accepted(validate({ cookie: 'c', email: 'null' })).value.email).toBeNull()
    const blocked = accepted(validate({ cookie: 'c', email: 'TEST@test.com' }))
    expect(blocked.value.email).toBeNull()
    expect(blocked.warnings[0]).toMatchObject({ field: 'email', reason: 'blocked_email' })
  })

  it('keeps an unreadable phone raw and flags it', () => {
    const result = accepted(validate({ cookie: 'c', phone: 'call me' }))
    expect(result.value.fields).toMatchObject({ phone: null, phone_raw: 'call me' })
    expect(result.warnings[0]).toMatchObject({ field: 'phone', reason: 'invalid_phone' })
  })

  it('formats national numbers with the record country, else the default', () => {
    expect(accepted(validate({ cookie: 'c', phone: '020 7946 0958', location: { country: 'United Kingdom' } })).value.fields.phone).toBe('+442079460958')
    expect(accepted(validate({ cookie: 'c', phone_number: '(212) 555-1234' })).value.fields.phone).toBe('+12125551234')
  })

  it.each([
    ['USA', 'US'],
    ['United States', 'US'],
    ['us', 'US'],
    ['U.S.A.', 'US'],
    ['United Kingdom', 'GB'],
    ['UK', 'GB'],
    ['Deutschland', 'DE'],
    ['DEU', 'DE'],
    ['Brasil', 'BR'],
    ['japan', 'JP'],
  ])('reads the country %j as %s', (country, code) => {
    expect(accepted(validate({ cookie: 'c', location: { country } })).value.fields.country_code).toBe(code)
  })

  it('keeps an unknown country as given', () => {
    expect(accepted(validate({ cookie: 'c', location: { country: 'Atlantis' } })).value.fields).toMatchObject({ country: 'Atlantis', country_code: null })
  })

  it.each([-1, 121, 35.5, 'abc', '12a', true, { years: 3 }])('rejects age %j', (age) => {
    const [error] = rejected(validate({ cookie: 'c', demographics: { age } }))
    expect(error).toMatchObject({ field: 'demographics.age', reason: 'bad_age' })
    expect(error?.message).toContain('0 to 120')
  })

  it('accepts ages 0, 120, 35.0 and a flat age', () => {
    expect(accepted(validate({ cookie: 'c', demographics: { age: 0 } })).value.fields.age).toBe(0)
    expect(accepted(validate({ cookie: 'c', demographics: { age: 120 } })).value.fields.age).toBe(120)
    expect(accepted(validate({ cookie: 'c', age: 35.0 })).value.fields.age).toBe(35)
  })

  it.each([
    ['M', 'male'],
    ['Woman', 'female'],
    ['nonbinary', 'non-binary'],
    ['Genderfluid', 'Genderfluid'],
  ])('maps gender %j to %j', (gender, expected) => {
    expect(accepted(validate({ cookie: 'c', demographics: { gender } })).value.fields.gender).toBe(expected)
  })

  it('normalizes interests: trimmed, case-folded, NFKC, de-duplicated, bounded', () => {
    const many = Array.from({ length: 150 }, (_, i) => `topic ${i}`)
    const result = accepted(validate({ cookie: 'c', interests: ['  Tom   Brady ', 'TOM BRADY', 'ｆｕｌｌｗｉｄｔｈ', 'x'.repeat(300), ...many] }))
    expect(result.value.interests.slice(0, 3)).toEqual(['tom brady', 'fullwidth', 'x'.repeat(100)])
    expect(result.value.interests).toHaveLength(100)
    expect(result.warnings.some((w) => w.field === 'interests')).toBe(true)
  })

  it('reads ISO and epoch timestamps, rejects unreadable ones, and defaults to receipt time', () => {
    expect(accepted(validate({ cookie: 'c', timestamp: 1705314600 })).value.observedAt).toBe(1705314600000)
    expect(accepted(validate({ cookie: 'c', timestamp: '1705314600000' })).value.observedAt).toBe(1705314600000)
    expect(accepted(validate({ cookie: 'c' })).value.observedAt).toBe(options.receivedAt)
    expect(rejected(validate({ cookie: 'c', timestamp: 'yesterday' }))[0]).toMatchObject({ field: 'timestamp', reason: 'bad_timestamp' })
    const future = accepted(validate({ cookie: 'c', timestamp: '2099-01-01T00:00:00Z' }))
    expect(future.value.observedAt).toBe(options.receivedAt)
    expect(future.warnings[0]?.reason).toBe('bad_timestamp')
  })

  it('keeps unknown fields as traits and sets only the fields present', () => {
    const { value } = accepted(validate({ cookie: 'c', plan: 'pro', nested: { a: [1] }, location: { city: 'Austin', zip: '78701' } }))
    expect(value.traits).toEqual({ plan: 'pro', nested: { a: [1] }, 'location.zip': '78701' })
    expect(value.fields).toEqual({ city: 'Austin' })
  })

  it('reports every problem of a record at once', () => {
    const errors = rejected(validate({ email: 'bad@', demographics: { age: 200 }, timestamp: 'soon' }))
    expect(errors.map((e) => e.reason).sort()).toEqual(['bad_age', 'bad_timestamp', 'invalid_email', 'missing_cookie'])
  })

  it('rejects what is not an object', () => {
    for (const value of [null, 42, 'text', [1, 2]]) expect(rejected(validate(value))[0]?.reason).toBe('not_an_object')
  })

  it('reads near-miss field names as the known fields, and names them as sent in messages', () => {
    const { value } = accepted(
      validate({ Cookie: 'c1', 'E-mail Address': 'Ann@Example.org', 'Phone Number': '(212) 555-1234', Location: { City: 'Austin' }, 'demographics.Age': '35', Interests: 'golf' }),
    )
    expect(value).toMatchObject({ cookie: 'c1', email: 'ann@example.org', fields: { phone: '+12125551234', city: 'Austin', age: 35 }, interests: ['golf'], traits: {} })
    const [error] = rejected(validate({ cookie: 'c', 'E-mail Address': 'bob@' }))
    expect(error).toMatchObject({ field: 'E-mail Address', reason: 'invalid_email' })
    expect(error?.message).toMatch(/^E-mail Address "bob@"/)
  })

  it('reads "Cookie" as the cookie, and hints at a misspelt one when the cookie is missing', () => {
    expect(accepted(validate({ Cookie: 'c1' })).value.cookie).toBe('c1')
    const [error] = rejected(validate({ cokie: 'c1' }))
    expect(error).toMatchObject({ field: 'cookie', reason: 'missing_cookie' })
    expect(error?.message).toContain('did you mean "cokie"?')
  })

  it('warns about a name that looks like a known field, and keeps it as a trait', () => {
    const result = accepted(validate({ cookie: 'c', emial: 'ann@example.org' }))
    expect(result.value.email).toBeNull()
    expect(result.value.traits).toEqual({ emial: 'ann@example.org' })
    expect(result.warnings).toEqual([expect.objectContaining({ field: 'emial', reason: 'unknown_field', message: expect.stringContaining('did you mean "email"?') })])
  })

  it('keeps a second spelling of a field as a trait, with a warning', () => {
    const result = accepted(validate({ cookie: 'c', email: 'a@example.org', Email: 'b@example.org' }))
    expect(result.value.email).toBe('a@example.org')
    expect(result.value.traits).toEqual({ Email: 'b@example.org' })
    expect(result.warnings[0]).toMatchObject({ field: 'Email', reason: 'duplicate_field' })
  })

  describe('with the drop_field quality policy', () => {
    const dropping = (value: unknown) => validateRecord(value, { ...options, onInvalid: 'drop_field' })

    it('stores the record without a bad age, email or timestamp, and says so', () => {
      const result = accepted(dropping({ cookie: 'c', email: 'bob@', demographics: { age: 150, gender: 'f' }, timestamp: 'soon', interests: ['golf'] }))
      expect(result.value).toMatchObject({ cookie: 'c', email: null, observedAt: options.receivedAt, fields: { gender: 'female' }, interests: ['golf'] })
      expect(result.value.fields.age).toBeUndefined()
      expect(result.warnings.map((w) => [w.field, w.reason])).toEqual([
        ['email', 'invalid_email'],
        ['demographics.age', 'bad_age'],
        ['timestamp', 'bad_timestamp'],
      ])
      expect(result.warnings[1]?.message).toContain('dropped demographics.age and kept the record (quality policy drop_field)')
    })

    it('still rejects a record without a valid cookie', () => {
      expect(rejected(dropping({ email: 'a@example.org' }))[0]?.reason).toBe('missing_cookie')
      expect(rejected(dropping({ cookie: { a: 1 }, demographics: { age: 150 } })).map((e) => e.reason)).toEqual(['invalid_cookie'])
    })
  })

  it('rejects a bad age by default, naming the cookie it had', () => {
    const result = validate({ cookie: 'c', demographics: { age: 150 } })
    expect(result).toMatchObject({ kind: 'rejected', detail: { cookie: 'c' } })
  })

  it('keeps an income as sent and warns when it is not an amount', () => {
    expect(accepted(validate({ cookie: 'c', income: '€50.000' })).warnings).toEqual([])
    const result = accepted(validate({ cookie: 'c', demographics: { income: 'prefer not to say' } }))
    expect(result.value.fields.income).toBe('prefer not to say')
    expect(result.warnings[0]).toMatchObject({ field: 'demographics.income', reason: 'unreadable_income' })
  })

  it('never throws, whatever JSON it gets', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        validate(value)
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          validate({ ...value, cookie: 'c' })
          validateRecord({ ...value, cookie: 'c' }, { ...options, onInvalid: 'drop_field' })
        }
      }),
    )
  })
})

describe('consent', () => {
  it('reads purposes by their keys and values as people write them; the rest warns and is dropped', () => {
    const { value, warnings } = accepted(validate({ cookie: 'c', consent: { 'Marketing Email': 'Yes', analytics: 0, advertising: 'GRANTED', personalization: 'perhaps', newsletter: true, extra: null } }))
    expect(value.consent).toEqual({ marketing_email: true, analytics: false, advertising: true })
    expect(value.traits).toEqual({})
    expect(warnings.map((w) => w.field)).toEqual(['consent.personalization', 'consent.newsletter'])
  })

  it('reads only the configured purposes', () => {
    const { value, warnings } = accepted(validateRecord({ cookie: 'c', consent: { sms: true, analytics: true } }, { ...options, consentPurposes: ['sms'] }))
    expect(value.consent).toEqual({ sms: true })
    expect(warnings[0]?.message).toContain('(configured: sms)')
  })

  it('has no consent when no purpose is readable, and a non-object consent follows the quality policy', () => {
    expect(accepted(validate({ cookie: 'c', consent: { analytics: 'maybe' } })).value.consent).toBeUndefined()
    expect(rejected(validate({ cookie: 'c', consent: true }))[0]).toMatchObject({ field: 'consent', reason: 'bad_field' })
    const dropped = accepted(validateRecord({ cookie: 'c', consent: [true] }, { ...options, onInvalid: 'drop_field' }))
    expect(dropped.value.consent).toBeUndefined()
    expect(dropped.warnings[0]).toMatchObject({ field: 'consent' })
  })
})
