// The API's answers as the console reads them (a subset of /openapi.json's schemas).

export interface UserProfile {
  profile_id: string
  cookie: string | null
  cookies: string[]
  identifiers?: Array<{ kind: string; value: string }>
  email: string | null
  phone_number: string | null
  location: string | null
  location_detail: Record<string, string | null>
  demographics: Record<string, unknown>
  interests: string[]
  cohorts: string[]
  traits: Record<string, unknown>
  consent: Record<string, { granted: boolean; at: string; source: string }>
  first_seen: string
  last_seen: string
  segments: Array<{ id: string; name: string }>
  event_counts: Array<{ name: string; count: number; last_at: string }>
  events?: EventJson[]
  segment_details?: Array<{ id: string; name: string; version: number; member: boolean; entered_at: string | null; conditions: Record<string, unknown> }>
  cohort_details?: Array<{ name: string; score: number; reason: string; assigned_at: string; interest: string | null; explanation: Explanation | null }>
}

export interface Explanation {
  model_version?: string
  decision?: string
  normalized?: string
  gazetteer?: Array<{ alias: string; cohorts: string[]; whole_phrase: boolean }>
  strongest_features?: Array<{ feature: string; cohort: string; weight: number } | Record<string, unknown>>
  cohorts?: Array<{ name: string; score: number }>
}

export interface EventJson {
  id: number
  type: string
  name: string
  properties: Record<string, unknown>
  timestamp: string
  received_at: string
  anonymous_id: string | null
  user_id: string | null
}

export interface MergeEntry {
  id: number
  at: string
  reason: 'email_attached' | 'email_match' | 'cookie_moved' | 'identifier_moved' | 'recomputed' | 'refused' | 'manual' | 'unmerged'
  /** survivor_id, absorbed_id, identifier: null when an erasure cleared the person they named. */
  survivor_id: string | null
  absorbed_id: string | null
  identifier_kind: string
  identifier: string | null
  raw_record: { id: number; source: string; received_at: string } | null
  detail: Record<string, unknown> | null
}

export interface IngestReport {
  status: 'success' | 'partial' | 'failed'
  records_processed: number
  records_failed: number
  duplicates?: number
  suppressed?: number
  batch_id?: string
  errors: Array<{ record: number; field: string; reason?: string; message: string }>
  warnings?: Array<{ record: number; field: string; reason?: string; message: string }>
}
