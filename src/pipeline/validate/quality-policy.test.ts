import { describe, expect, it } from 'vitest'
import { parseQualityPolicies, policyForSource } from './quality-policy.ts'

describe('parseQualityPolicies', () => {
  it('reads one policy for every source', () => {
    const policies = parseQualityPolicies('drop_field')
    expect(policyForSource(policies, 'crm')).toBe('drop_field')
    expect(policyForSource(policies, 'api')).toBe('drop_field')
  })

  it('reads policies per source, with reject for the others', () => {
    const policies = parseQualityPolicies('crm:drop_field, web:reject')
    expect(policyForSource(policies, 'crm')).toBe('drop_field')
    expect(policyForSource(policies, 'web')).toBe('reject')
    expect(policyForSource(policies, 'api')).toBe('reject')
    expect(policyForSource(policies, 'constructor')).toBe('reject')
  })

  it('reads a default with exceptions, and source names that hold a colon', () => {
    const policies = parseQualityPolicies('drop_field,web:reject,shop:eu:reject')
    expect(policyForSource(policies, 'web')).toBe('reject')
    expect(policyForSource(policies, 'shop:eu')).toBe('reject')
    expect(policyForSource(policies, 'crm')).toBe('drop_field')
  })

  it.each(['drop', 'crm:keep', ':drop_field'])('refuses %j, saying what to write', (text) => {
    expect(() => parseQualityPolicies(text)).toThrow(/drop_field/)
  })
})
