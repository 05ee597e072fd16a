// Table types for Kysely. Times are epoch milliseconds (BIGINT) on both backends; JSON is TEXT.
import type { Generated } from 'kysely'
import type { PROFILE_FIELDS, ProfileFieldName } from '../../domain/profile-fields.ts'

export interface RawRecordsTable {
  id: Generated<number>
  batch_id: string
  received_at: number
  source: string
  content_type: string
  record_index: number
  payload: string // the record exactly as received, as JSON text
  content_hash: string // sha256(source + canonical payload): re-imports are no-ops
  status: 'accepted' | 'rejected' | 'superseded' // superseded: a corrected copy replaced it (cdp replay --map/--patch)
  errors: string | null // JSON array of FieldIssue
  // Routing keys extracted at validation so a person can be rebuilt from raw without a full scan.
  cookie: string | null
  email: string | null
  observed_at: number | null
  /** The raw record holding the corrected copy of a superseded one; null otherwise. */
  superseded_by: number | null
}

export interface ProfilesTable {
  id: string
  email: string | null
  phone: string | null
  phone_raw: string | null
  city: string | null
  state: string | null
  country: string | null
  country_code: string | null
  age: number | null
  gender: string | null
  income: string | null
  income_amount: number | null // parseMoney(income): what numeric segment conditions compare
  education: string | null
  traits: string // JSON object of custom traits
  field_times: string // JSON {field: observedAt} behind latest-wins merging
  consent: string // JSON {purpose: {granted, at, source}}: the latest statement per purpose
  first_seen: number
  last_seen: number
  created_at: number
  updated_at: number
}

export interface IdentitiesTable {
  kind: string // cookie, email, profile (an absorbed id), user (a Segment userId that is not an email), or a linked kind: phone, device_id, declared ones
  value: string
  profile_id: string
  first_seen: number
  last_seen: number
}

/** Every (cookie, email) login observation: the timeline that decides where a shared cookie belongs. */
export interface LoginsTable {
  cookie: string
  email: string
  observed_at: number
}

export interface ProfileInterestsTable {
  profile_id: string
  interest: string
  first_seen: number
  last_seen: number
  source: string
}

export interface MergesTable {
  id: Generated<number>
  /** Null once an erasure cleared the person it named, in a row kept for the other one. */
  survivor_id: string | null
  absorbed_id: string | null
  /**
   * refused: a link the guardrails or an unmerge kept from happening (detail says why); manual: an
   * admin's POST /api/user/merge; unmerged: an admin split the profile (detail names the merge).
   */
  reason: 'email_attached' | 'email_match' | 'cookie_moved' | 'identifier_moved' | 'recomputed' | 'refused' | 'manual' | 'unmerged'
  identifier_kind: string
  /** Null once an erasure cleared the erased person's email, user id or cookie from a row kept for someone else. */
  identifier: string | null
  raw_id: number | null
  created_at: number
  detail: string | null // JSON object: a refusal's rule and counts, the admin key behind a manual merge or unmerge
}

/** Consent as each record stated it, per purpose: the history behind profiles.consent. */
export interface ConsentChangesTable {
  id: Generated<number>
  profile_id: string // repointed when its profile is absorbed, like events
  purpose: string
  granted: number // 1 granted, 0 withdrawn
  at: number // the observation time of the record that said so
  source: string
  raw_id: number | null
}

/**
 * A cookie seen on an IP address with a user agent, once per slot (domain/likely-match.ts): written
 * only when likely matches are on (CDP_LIKELY_MATCHES), erased with the person.
 */
export interface DeviceSightingsTable {
  ip: string
  user_agent: string
  slot: number // floor(at / SIGHTING_SLOT_MS)
  cookie: string
  at: number // the first time in the slot
}

/** A link between a cookie and an email that resolution must not make (an unmerge, or a guardrail an admin set). */
export interface RefusedLinksTable {
  cookie: string
  email: string
  reason: string // unmerge | admin
  merge_id: number | null // the merge that was undone
  created_at: number
  created_by: string | null // the API key id behind it
}

/** Erasure (and later other privacy) jobs: the audit log. Identifiers are kept only as a salted hash. */
export interface PrivacyJobsTable {
  id: string
  kind: 'erasure'
  status: 'running' | 'finished' | 'failed'
  requested_by: string | null // the API key id, or "cli"
  requested_at: number
  identifiers_hash: string // HMAC-SHA256 with the install's salt over the sorted identifiers
  identifier_count: number
  suppress: number // 1 when the identifiers went on the suppression list
  counts: string // JSON {table: rows removed}
  error: string | null
  finished_at: number | null
}

/** Identifiers whose later data is refused, kept as a salted hash (never the identifier itself). */
export interface SuppressionsTable {
  hash: string // HMAC-SHA256(salt, kind + ":" + value)
  kind: string // cookie | email | user_id
  created_at: number
  job_id: string | null
}

/** The identifiers of an erasure job while it runs (deleted when it ends), so a restart resumes it. */
export interface PrivacyJobIdentifiersTable {
  job_id: string
  kind: string // email | cookie | profile_id | user_id
  value: string
}

/** Small per-install values: the privacy salt. */
export interface SettingsTable {
  name: string
  value: string
}

export interface CohortsTable {
  id: string
  name: string
  name_key: string // lower-cased name for case-insensitive lookup
  description: string
  terms: string // JSON array
  members: number // maintained in the same transaction as memberships
  created_at: number
  seeds: string | null // JSON array of seed terms for an admin-defined cohort; null for built-in ones
}

export interface CohortCorrectionsTable {
  text_key: string // the interest as the classifier normalizes it
  text: string
  cohort_ids: string // JSON array; [] means "no cohort"
  created_at: number
}

export interface CohortMembershipsTable {
  cohort_id: string
  profile_id: string
  score: number
  assigned_at: number
  reason: string
}

export interface ApiKeysTable {
  id: string
  key_hash: string
  name: string
  scopes: string // comma-separated: ingest,read,admin
  created_at: number
  revoked_at: number | null
}

export interface SegmentsTable {
  id: string
  name: string
  name_key: string
  description: string
  definition: string // JSON condition of the current version
  required_consent: string // JSON array of purposes every member must have granted (part of the version)
  version: number
  members: number
  state: 'backfilling' | 'ready'
  backfill_processed: number
  backfill_total: number
  created_at: number
  updated_at: number
}

export interface SegmentVersionsTable {
  segment_id: string
  version: number
  name: string
  description: string
  definition: string
  required_consent: string
  created_at: number
}

export interface SegmentMembershipsTable {
  segment_id: string
  profile_id: string
  entered_at: number
}

export interface SegmentChangesTable {
  id: Generated<number>
  segment_id: string
  profile_id: string
  change: 'entered' | 'left'
  reason: string
  at: number
}

export interface SegmentScheduleTable {
  segment_id: string
  profile_id: string
  due_at: number
}

export interface WebhooksTable {
  id: string
  segment_id: string
  url: string
  secret: string
  delivered_change_id: number // the last change the endpoint acknowledged
  attempts: number // consecutive failures
  next_attempt_at: number
  last_error: string | null
  last_delivered_at: number | null
  created_at: number
  deleted_at: number | null
  required_consent: string // JSON array of purposes a profile needs at send time for its 'entered' changes to be sent
}

/** A behavioural event (Segment track, page or screen), attributed to the profile it resolved to. */
export interface EventsTable {
  id: Generated<number>
  profile_id: string // repointed in the merge's own transaction when its profile is absorbed
  type: 'track' | 'page' | 'screen'
  name: string
  properties: string // JSON object
  context: string | null // JSON object
  at: number
  received_at: number
  message_id: string
  raw_id: number | null
  anonymous_id: string | null
  user_id: string | null
}

export interface Database {
  raw_records: RawRecordsTable
  profiles: ProfilesTable
  identities: IdentitiesTable
  logins: LoginsTable
  profile_interests: ProfileInterestsTable
  merges: MergesTable
  cohorts: CohortsTable
  cohort_memberships: CohortMembershipsTable
  cohort_corrections: CohortCorrectionsTable
  segments: SegmentsTable
  segment_versions: SegmentVersionsTable
  segment_memberships: SegmentMembershipsTable
  segment_changes: SegmentChangesTable
  segment_schedule: SegmentScheduleTable
  webhooks: WebhooksTable
  events: EventsTable
  api_keys: ApiKeysTable
  consent_changes: ConsentChangesTable
  refused_links: RefusedLinksTable
  privacy_jobs: PrivacyJobsTable
  suppressions: SuppressionsTable
  settings: SettingsTable
  privacy_job_identifiers: PrivacyJobIdentifiersTable
  device_sightings: DeviceSightingsTable
}

/** A column's SQL type, as PostgreSQL names it in array casts (unnest writes in dialect/postgres.ts). */
export type SqlType = 'text' | 'int4' | 'int8' | 'float8'

/**
 * Every column's SQL type, per table: what a bulk write casts each column's array to. The type
 * below requires an entry for every column of `Database`, so a new column without one fails tsc.
 * Times and counters are int8 (epoch milliseconds); JSON is text.
 */
export const COLUMN_TYPES = {
  raw_records: {
    id: 'int8', batch_id: 'text', received_at: 'int8', source: 'text', content_type: 'text', record_index: 'int4', payload: 'text',
    content_hash: 'text', status: 'text', errors: 'text', cookie: 'text', email: 'text', observed_at: 'int8', superseded_by: 'int8',
  },
  profiles: {
    id: 'text', email: 'text', phone: 'text', phone_raw: 'text', city: 'text', state: 'text', country: 'text', country_code: 'text',
    age: 'int4', gender: 'text', income: 'text', income_amount: 'float8', education: 'text', traits: 'text', field_times: 'text', consent: 'text',
    first_seen: 'int8', last_seen: 'int8', created_at: 'int8', updated_at: 'int8',
  },
  identities: { kind: 'text', value: 'text', profile_id: 'text', first_seen: 'int8', last_seen: 'int8' },
  logins: { cookie: 'text', email: 'text', observed_at: 'int8' },
  profile_interests: { profile_id: 'text', interest: 'text', first_seen: 'int8', last_seen: 'int8', source: 'text' },
  merges: {
    id: 'int8', survivor_id: 'text', absorbed_id: 'text', reason: 'text', identifier_kind: 'text', identifier: 'text', raw_id: 'int8', created_at: 'int8', detail: 'text',
  },
  cohorts: { id: 'text', name: 'text', name_key: 'text', description: 'text', terms: 'text', members: 'int8', created_at: 'int8', seeds: 'text' },
  cohort_memberships: { cohort_id: 'text', profile_id: 'text', score: 'float8', assigned_at: 'int8', reason: 'text' },
  cohort_corrections: { text_key: 'text', text: 'text', cohort_ids: 'text', created_at: 'int8' },
  segments: {
    id: 'text', name: 'text', name_key: 'text', description: 'text', definition: 'text', required_consent: 'text', version: 'int4', members: 'int8', state: 'text',
    backfill_processed: 'int8', backfill_total: 'int8', created_at: 'int8', updated_at: 'int8',
  },
  segment_versions: { segment_id: 'text', version: 'int4', name: 'text', description: 'text', definition: 'text', required_consent: 'text', created_at: 'int8' },
  segment_memberships: { segment_id: 'text', profile_id: 'text', entered_at: 'int8' },
  segment_changes: { id: 'int8', segment_id: 'text', profile_id: 'text', change: 'text', reason: 'text', at: 'int8' },
  segment_schedule: { segment_id: 'text', profile_id: 'text', due_at: 'int8' },
  webhooks: {
    id: 'text', segment_id: 'text', url: 'text', secret: 'text', delivered_change_id: 'int8', attempts: 'int4', next_attempt_at: 'int8',
    last_error: 'text', last_delivered_at: 'int8', created_at: 'int8', deleted_at: 'int8', required_consent: 'text',
  },
  events: {
    id: 'int8', profile_id: 'text', type: 'text', name: 'text', properties: 'text', context: 'text', at: 'int8', received_at: 'int8',
    message_id: 'text', raw_id: 'int8', anonymous_id: 'text', user_id: 'text',
  },
  api_keys: { id: 'text', key_hash: 'text', name: 'text', scopes: 'text', created_at: 'int8', revoked_at: 'int8' },
  consent_changes: { id: 'int8', profile_id: 'text', purpose: 'text', granted: 'int4', at: 'int8', source: 'text', raw_id: 'int8' },
  refused_links: { cookie: 'text', email: 'text', reason: 'text', merge_id: 'int8', created_at: 'int8', created_by: 'text' },
  privacy_jobs: {
    id: 'text', kind: 'text', status: 'text', requested_by: 'text', requested_at: 'int8', identifiers_hash: 'text', identifier_count: 'int4',
    suppress: 'int4', counts: 'text', error: 'text', finished_at: 'int8',
  },
  suppressions: { hash: 'text', kind: 'text', created_at: 'int8', job_id: 'text' },
  settings: { name: 'text', value: 'text' },
  privacy_job_identifiers: { job_id: 'text', kind: 'text', value: 'text' },
  device_sightings: { ip: 'text', user_agent: 'text', slot: 'int8', cookie: 'text', at: 'int8' },
} as const satisfies { [T in keyof Database]: { [C in keyof Database[T]]-?: SqlType } }

type Expect<T extends true> = T
type FieldSpecs = (typeof PROFILE_FIELDS)[ProfileFieldName]
type FieldColumn = FieldSpecs['column'] | (FieldSpecs extends infer S ? (S extends { derived: { column: infer C } } ? C : never) : never)
/** Compiles only while every column of the field table (derived ones included) exists in ProfilesTable. */
export type ProfileFieldColumnsExist = Expect<[Exclude<FieldColumn, keyof ProfilesTable>] extends [never] ? true : false>
