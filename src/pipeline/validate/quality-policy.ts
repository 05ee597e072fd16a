// What an invalid optional field costs: the whole record (`reject`, the default), or only the field
// (`drop_field`: the record is stored without it, with a warning). The cookie is never dropped.

export const QUALITY_POLICIES = ['reject', 'drop_field'] as const
export type QualityPolicy = (typeof QUALITY_POLICIES)[number]

export interface QualityPolicies {
  /** For sources not listed in `bySource`. */
  readonly default: QualityPolicy
  readonly bySource: Readonly<Record<string, QualityPolicy>>
}

export const DEFAULT_QUALITY_POLICIES: QualityPolicies = Object.freeze({ default: 'reject', bySource: Object.freeze({}) })

export function isQualityPolicy(value: string): value is QualityPolicy {
  return (QUALITY_POLICIES as readonly string[]).includes(value)
}

export function policyForSource(policies: QualityPolicies, source: string): QualityPolicy {
  return Object.hasOwn(policies.bySource, source) ? (policies.bySource[source] as QualityPolicy) : policies.default
}

/**
 * "drop_field" (every source) or "crm:drop_field,web:reject", or both ("drop_field,web:reject").
 * A source name may itself hold ":", so the policy is what follows the last one.
 */
export function parseQualityPolicies(text: string): QualityPolicies {
  let fallback: QualityPolicy = 'reject'
  const bySource: Record<string, QualityPolicy> = {}
  for (const part of text.split(',')) {
    const item = part.trim()
    if (item === '') continue
    const colon = item.lastIndexOf(':')
    const source = colon < 0 ? null : item.slice(0, colon).trim()
    const policy = (colon < 0 ? item : item.slice(colon + 1)).trim()
    if (!isQualityPolicy(policy)) {
      throw new Error(`"${item}": the policy must be ${QUALITY_POLICIES.join(' or ')}, as "drop_field" or "crm:drop_field,web:reject"`)
    }
    if (source === null) fallback = policy
    else if (source === '') throw new Error(`"${item}" names no source: write SOURCE:POLICY, as "crm:drop_field"`)
    else bySource[source] = policy
  }
  return Object.freeze({ default: fallback, bySource: Object.freeze(bySource) })
}
