// Shared domain types. Every layer speaks these; none of them knows about SQL or HTTP.
import type { Outcome } from './outcome.ts'
import type { ProfileFields } from './profile-fields.ts'

/** Why a record was rejected or flagged; `reason` is a stable code used in data-quality reports. */
export interface FieldIssue {
  field: string
  reason: IssueReason
  message: string
}

export type IssueReason =
  | 'missing_cookie'
  | 'invalid_cookie'
  | 'invalid_email'
  | 'blocked_email'
  | 'blocked_identifier'
  | 'unknown_identifier'
  | 'invalid_phone'
  | 'bad_age'
  | 'bad_timestamp'
  | 'bad_field'
  | 'unknown_field'
  | 'duplicate_field'
  | 'unreadable_income'
  | 'not_an_object'
  | 'unparseable'
  | 'too_deep'
  | 'invalid_message'
  | 'too_large'

/**
 * One validated, normalized profile record: what one source said about one visitor at one time.
 * Only fields present in the record are set; an absent field never overwrites a known value.
 */
export interface Observation {
  cookie: string
  email: string | null
  /** Epoch ms: the record's own timestamp when it has one, else when we received it. */
  observedAt: number
  fields: ProfileFields
  /** Normalized (trimmed, case-folded, de-duplicated), at most 100 of at most 100 chars. */
  interests: string[]
  /** Unknown top-level fields, kept as given. */
  traits: Record<string, unknown>
  /** Consent per purpose the record states (a profile record's `consent`, a message's context.consent.categoryPreferences). */
  consent?: Record<string, boolean>
  /** Linked identifiers (user_id, phone, device_id, declared kinds), blocked values left out; absent when none. */
  identifiers?: Array<{ kind: string; value: string }>
}

/** A validated record, or why not; a rejection's reason is its first error's. */
export type ValidationResult = Outcome<{ observation: Observation; warnings: FieldIssue[] }, ValidationErrors>

export interface ValidationErrors {
  errors: FieldIssue[]
  /** When the record's cookie itself was valid. */
  cookie?: string
}

/** A record as read from a request body or a file, before validation. */
export interface IncomingRecord {
  /** 0-based record index; for CSV the data-row number (1 = first row after the header). */
  index: number
  /** The parsed value exactly as received (CSV rows become nested objects of strings). */
  value: unknown
}

export type BodyFormat = 'json' | 'ndjson' | 'csv'

/** A cohort: a named group of people sharing an interest. */
export interface CohortDefinition {
  id: string // coh_sports
  name: string // Sports
  description: string
  terms: string[]
}

export interface CohortScore {
  cohort: string // cohort name, e.g. "Sports"
  score: number // 0..1
}

/** Interest text -> cohort scores. Implementations are pure and synchronous (in-process). */
export interface InterestClassifier {
  readonly version: string
  cohorts(): readonly CohortDefinition[]
  /** Best first; empty when the text belongs to no cohort. */
  classify(text: string): CohortScore[]
}
