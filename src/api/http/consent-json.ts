// Consent as GET /api/user shows it: the latest statement per purpose, and (on request) every one.
import type { ConsentChange } from '../../domain/consent.ts'
import type { ConsentState } from '../../domain/profile.ts'

const statementProperties = { granted: { type: 'boolean' }, at: { type: 'string', format: 'date-time' }, source: { type: 'string' } } as const

export const consentSchema = {
  type: 'object',
  description: 'per purpose the person stated: granted or withdrawn, when (the observation time) and by which source; a purpose never stated is absent',
  additionalProperties: { type: 'object', properties: statementProperties },
} as const

export const consentHistorySchema = {
  type: 'array',
  description: 'every consent statement, newest first (?consent_history=1)',
  items: { type: 'object', properties: { purpose: { type: 'string' }, ...statementProperties, raw_id: { type: ['integer', 'null'] } } },
} as const

export function consentToJson(consent: Readonly<Record<string, ConsentState>>): Record<string, { granted: boolean; at: string; source: string }> {
  const out: Record<string, { granted: boolean; at: string; source: string }> = {}
  for (const purpose of Object.keys(consent).sort()) {
    const state = consent[purpose] as ConsentState
    out[purpose] = { granted: state.granted, at: new Date(state.at).toISOString(), source: state.source }
  }
  return out
}

export function consentChangeToJson(change: ConsentChange) {
  return { purpose: change.purpose, granted: change.granted, at: new Date(change.at).toISOString(), source: change.source, raw_id: change.rawId }
}
