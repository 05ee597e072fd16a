import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('CDP_QUALITY_POLICY', () => {
  it('defaults to reject for every source', () => {
    expect(loadConfig({}).qualityPolicies).toEqual({ default: 'reject', bySource: {} })
  })

  it('reads a policy per source', () => {
    expect(loadConfig({ CDP_QUALITY_POLICY: 'crm:drop_field,web:reject' }).qualityPolicies).toEqual({ default: 'reject', bySource: { crm: 'drop_field', web: 'reject' } })
  })

  it('names the variable and what to write when the value is wrong', () => {
    expect(() => loadConfig({ CDP_QUALITY_POLICY: 'crm:keep' })).toThrow(/CDP_QUALITY_POLICY: "crm:keep": the policy must be reject or drop_field/)
  })
})
