import { describe, expect, it } from 'vitest'
import type { FieldIssue } from '../../domain/types.ts'
import { editDistance, foldFieldName, nameFields } from './field-names.ts'

function named(record: Record<string, unknown>) {
  const warnings: FieldIssue[] = []
  return { ...nameFields(record, warnings), warnings }
}

describe('nameFields', () => {
  it.each([
    ['Email', 'email'],
    ['EMAIL', 'email'],
    ['E-mail', 'email'],
    ['e_mail', 'email'],
    ['E-mail Address', 'email'],
    ['emailAddress', 'email'],
    ['Cookie', 'cookie'],
    ['cookie_id', 'cookie'],
    ['Phone', 'phone'],
    ['Phone Number', 'phone'],
    ['phone_number', 'phone'],
    ['Mobile', 'phone'],
    ['City', 'city'],
    ['Location City', 'city'],
    ['Country Code', 'country_code'],
    ['countryCode', 'country_code'],
    ['AGE', 'age'],
    ['Sex', 'gender'],
    ['Annual Income', 'income'],
    ['Observed At', 'timestamp'],
    ['Interests', 'interests'],
  ])('reads %j as %s', (key, field) => {
    const { record, sentAs, warnings } = named({ [key]: 'x' })
    expect(record).toEqual({ [field]: 'x' })
    expect(warnings).toEqual([])
    if (key !== field) expect(sentAs.get(field)).toBe(key)
  })

  it('renames inside location and demographics, as CSV headers like Location.City give them', () => {
    const { record, sentAs } = named({ Location: { City: 'Austin', 'Country Code': 'US' }, demographics: { Age: '35' } })
    expect(record).toEqual({ location: { city: 'Austin', country_code: 'US' }, demographics: { age: '35' } })
    expect(sentAs.get('location.city')).toBe('Location.City')
    expect(sentAs.get('demographics.age')).toBe('demographics.Age')
  })

  it('keeps the exact name when two keys name one field, and the other as a duplicate', () => {
    const { record, duplicates, warnings } = named({ Email: 'b@example.org', email: 'a@example.org' })
    expect(record).toEqual({ email: 'a@example.org' })
    expect(duplicates).toEqual({ Email: 'b@example.org' })
    expect(warnings).toEqual([expect.objectContaining({ field: 'Email', reason: 'duplicate_field' })])
  })

  it('suggests the known field a misspelt name is close to', () => {
    const { record, warnings, lookalikes } = named({ emial: 'a@example.org', Cokie: 'c1', location: { ctiy: 'Paris' }, timestmap: '2024-01-01' })
    expect(record).toEqual({ emial: 'a@example.org', Cokie: 'c1', location: { ctiy: 'Paris' }, timestmap: '2024-01-01' })
    expect(warnings.map((w) => [w.field, w.reason])).toEqual([
      ['emial', 'unknown_field'],
      ['Cokie', 'unknown_field'],
      ['timestmap', 'unknown_field'],
      ['location.ctiy', 'unknown_field'],
    ])
    expect(warnings[0]?.message).toContain('did you mean "email"?')
    expect(warnings[3]?.message).toContain('did you mean "location.city"?')
    expect(lookalikes.get('cookie')).toBe('Cokie')
  })

  it('leaves unrelated names alone, short ones and real words near a known name included', () => {
    const { warnings } = named({ plan: 'pro', page: '/home', county: 'Travis', 'First Name': 'Ann', sage: 1, zip: '78701', company: 'Acme' })
    expect(warnings).toEqual([])
  })
})

describe('foldFieldName and editDistance', () => {
  it('folds case, punctuation and spacing', () => {
    expect(foldFieldName(' E-Mail_Address ')).toBe('emailaddress')
    expect(foldFieldName('ＥＭＡＩＬ')).toBe('email')
  })

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('emial', 'email')).toBe(1)
    expect(editDistance('cookie', 'cokie')).toBe(1)
    expect(editDistance('country', 'city')).toBe(4)
  })
})
