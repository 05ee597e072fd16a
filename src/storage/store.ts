// The Store: the only storage surface the pipeline and the API see. One SQL implementation serves
// SQLite and PostgreSQL (sql/sql-store.ts).
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import type { Login, ProfileState } from '../domain/profile.ts'
import type { FieldIssue } from '../domain/types.ts'
import type { IdentityRow, MergeLogEntry, ResolveState } from '../pipeline/identity/resolve-batch.ts'
import type { EventNeed } from '../domain/condition.ts'
import type { EventOccurrence, SegmentProfile } from '../segments/language/evaluate.ts'
import type { Database } from './sql/schema.ts'

export interface NewRawRecord {
  batchId: string
  receivedAt: number
  source: string
  contentType: string
  recordIndex: number
  payload: string
  contentHash: string
  status: 'accepted' | 'rejected'
  errors: FieldIssue[] | null
  cookie: string | null
  email: string | null
  observedAt: number | null
}

export interface StoredRawRecord extends Omit<NewRawRecord, 'status'> {
  id: number
  /** `superseded`: a corrected copy (the record `supersededBy`) replaced it; replay and rebuild skip it. */
  status: NewRawRecord['status'] | 'superseded'
  supersededBy: number | null
}

export interface Membership {
  cohortId: string
  score: number
  assignedAt: number
  reason: string
}

export interface CohortRow {
  id: string
  name: string
  description: string
  terms: string[]
  members: number
  /** Seed terms of an admin-defined cohort; null for the model's own cohorts. */
  seeds: string[] | null
}

export interface CorrectionRow {
  text: string
  textKey: string
  /** [] means "no cohort". */
  cohortIds: string[]
  createdAt: number
}

export interface SegmentRow {
  id: string
  name: string
  description: string
  /** The JSON condition of the current version, as the admin wrote it. */
  definition: unknown
  version: number
  members: number
  state: 'backfilling' | 'ready'
  backfillProcessed: number
  backfillTotal: number
  createdAt: number
  updatedAt: number
}

export interface SegmentVersionRow {
  version: number
  name: string
  description: string
  definition: unknown
  createdAt: number
}

export interface SegmentChange {
  segmentId: string
  profileId: string
  change: 'entered' | 'left'
  reason: string
}

export interface SegmentMemberRow {
  profileId: string
  cookie: string | null
  email: string | null
  enteredAt: number
}

export type ProfileFilter = (eb: ExpressionBuilder<Database, 'profiles'>) => Expression<SqlBool>

/** What evaluating some segments reads beyond the profile's columns (engine.ts conditionNeeds). */
export interface SegmentDataNeeds {
  interests: boolean
  cohorts: boolean
  traits: boolean
  /** Event name -> which of its occurrences: see EventNeed. Empty when no condition reads events. */
  events: ReadonlyMap<string, EventNeed>
}

/**
 * Occurrences of the needed events for segment evaluation: profile id -> event name -> occurrences
 * oldest first, exactly as many as `events` asks for counted from `now` (windows reach back from it).
 * Profiles without any are absent.
 */
export interface LoadSegmentEventsInput {
  profileIds: string[]
  events: ReadonlyMap<string, EventNeed>
  now: number
}
export type SegmentEvents = Map<string, Map<string, EventOccurrence[]>>

/** The segment half of an ingest transaction. */
export interface SegmentTransaction {
  /** profile id -> ids of the segments it belongs to. */
  loadSegmentMemberships(profileIds: string[]): Promise<Map<string, Set<string>>>
  /** profile id -> segment id -> when its time-relative verdict may change next. */
  loadSegmentSchedule(profileIds: string[]): Promise<Map<string, Map<string, number>>>
  /**
   * The profiles with ids in (afterId, lastId] as segment views (fields, interests, cohorts by
   * lower-cased name, segments), with their schedule: a backfill page, read by range, not by id list.
   */
  /** Reads the transaction's own writes: events inserted earlier in it are included. */
  loadSegmentEvents(input: LoadSegmentEventsInput): Promise<SegmentEvents>
  /** `now` bounds the events loaded (see LoadSegmentEventsInput); evaluate the views at `now` or later. */
  loadSegmentViews(input: { afterId: string | undefined; lastId: string; needs: SegmentDataNeeds; now: number }): Promise<{
    views: Array<SegmentProfile & { segments: Set<string> }>
    scheduled: Map<string, Map<string, number>>
  }>
  /** Writes entries and exits with their change-log rows and member counts, and the re-evaluation schedule (null = none). */
  applySegmentChanges(input: {
    changes: SegmentChange[]
    schedule: Array<{ segmentId: string; profileId: string; dueAt: number | null }>
    now: number
  }): Promise<void>
  /**
   * One page of a backfill: the next profile ids (locked on PostgreSQL), which of them match `filter`
   * (null without one), and which are members now.
   */
  segmentPage(input: { segmentId: string; afterId: string | undefined; limit: number; filter: ProfileFilter | null }): Promise<{
    ids: string[]
    matching: Set<string> | null
    members: Set<string>
  }>
}

export interface SegmentStore {
  createSegment(input: { id: string; name: string; description: string; definition: unknown; now: number }): Promise<void>
  /** Saves a new version; returns its number. */
  updateSegment(input: { id: string; name: string; description: string; definition: unknown; now: number }): Promise<number>
  deleteSegment(id: string): Promise<boolean>
  getSegment(idOrName: string): Promise<SegmentRow | undefined>
  listSegments(): Promise<SegmentRow[]>
  listSegmentVersions(id: string): Promise<SegmentVersionRow[]>
  setBackfillProgress(input: { id: string; version: number; processed: number; total: number; done: boolean }): Promise<void>
  listSegmentMembers(input: { segmentId: string; limit: number; offset: number; afterProfileId: string | undefined }): Promise<SegmentMemberRow[]>
  /** The sample's enteredAt is `now`: when the matches would enter if the definition were saved. */
  previewSegment(input: { filter: ProfileFilter; sample: number; now: number }): Promise<{ count: number; sample: SegmentMemberRow[] }>
  listDueSchedule(input: { now: number; limit: number }): Promise<Array<{ segmentId: string; profileId: string; dueAt: number }>>
  /** segment id -> entered at, for one profile. */
  listProfileSegments(profileId: string): Promise<Map<string, number>>
  /** As SegmentTransaction.loadSegmentEvents, outside a transaction (explanations). */
  loadSegmentEvents(input: LoadSegmentEventsInput): Promise<SegmentEvents>
  listChanges(input: { segmentId: string; afterId: number | undefined; limit: number }): Promise<Array<SegmentChange & { id: number; at: number }>>
}

export interface NewEvent {
  profileId: string
  type: 'track' | 'page' | 'screen'
  name: string
  properties: Record<string, unknown>
  context: Record<string, unknown> | null
  at: number
  receivedAt: number
  messageId: string
  rawId: number | null
  anonymousId: string | null
  userId: string | null
}

export interface EventRow extends Omit<NewEvent, 'rawId'> {
  id: number
}

/** The event half of an ingest transaction. */
export interface EventTransaction {
  insertEvents(rows: NewEvent[]): Promise<void>
  /** Points each (non-email) userId, and the "uid:" key of messages that carry only it, at a profile. */
  linkUserIds(rows: Array<{ userId: string; userIdCookie: string; profileId: string; at: number }>): Promise<void>
}

export interface EventStore {
  /** Newest first; `before` is the (at, id) of the last event of the previous page. */
  listEvents(input: { profileId: string; limit: number; before: { at: number; id: number } | undefined; name: string | undefined }): Promise<EventRow[]>
  /** Per event name: how many, and the latest time. */
  countEvents(profileId: string): Promise<Array<{ name: string; count: number; lastAt: number }>>
}

/** Everything one ingest transaction reads and writes. */
export interface IngestTransaction extends SegmentTransaction, EventTransaction {
  /** Inserts raw rows; returns the ids of those that were new (a known content hash is skipped). */
  insertRawRecords(rows: NewRawRecord[]): Promise<Map<string, number>>
  /** The batch that first stored each of these content hashes. */
  rawBatchIds(contentHashes: string[]): Promise<Map<string, string>>
  /** Records a new processing outcome for raw rows (replay after a fix); the payload never changes. */
  updateRawOutcomes(
    rows: Array<{ id: number; status: 'accepted' | 'rejected'; errors: FieldIssue[] | null; cookie: string | null; email: string | null; observedAt: number | null }>,
  ): Promise<void>
  /**
   * Marks rejected raw rows as replaced by a corrected copy (`by`: its raw id, or null when that copy
   * was stored already). Only the outcome changes; the payload stays as received.
   */
  supersedeRawRecords(rows: Array<{ id: number; by: number | null }>): Promise<void>
  /** Raw ids by content hash, for hashes already stored. */
  rawIdsByHash(contentHashes: string[]): Promise<Map<string, number>>
  /** Serializes concurrent batches that share an identifier (PostgreSQL; SQLite has one writer). */
  lockIdentifiers(keys: string[]): Promise<void>
  loadResolveState(input: { cookies: string[]; emails: string[] }): Promise<ResolveState>
  saveResolution(input: {
    profiles: Map<string, ProfileState>
    loaded: Map<string, ProfileState>
    absorbed: Array<{ id: string; into: string }>
    identities: IdentityRow[]
    logins: Array<{ cookie: string; email: string; at: number }>
    merges: MergeLogEntry[]
    now: number
  }): Promise<void>
  /** Everything needed to rebuild one identified person from the raw store. */
  loadPersonEvidence(email: string): Promise<{
    profile: ProfileState | undefined
    logins: Map<string, Login[]>
    records: StoredRawRecord[]
  }>
  /** Replaces a profile and all its interests. */
  replaceProfile(profile: ProfileState): Promise<void>
  /** Profiles with their interests, locked against concurrent writers until the transaction ends. */
  loadProfiles(profileIds: string[]): Promise<Map<string, ProfileState>>
  loadMemberships(profileIds: string[]): Promise<Map<string, Membership[]>>
  saveMemberships(input: {
    upserts: Array<Membership & { profileId: string }>
    deletes: Array<{ cohortId: string; profileId: string }>
    countDeltas: Map<string, number>
  }): Promise<void>
}

export interface ProfileView {
  profile: ProfileState
  cookies: Array<{ cookie: string; lastSeen: number }>
  memberships: Array<Membership & { name: string }>
}

export interface CohortMemberRow {
  profileId: string
  cookie: string | null
  email: string | null
  score: number
  assignedAt: number
}

export interface ApiKeyRow {
  id: string
  name: string
  scopes: string[]
  createdAt: number
  revokedAt: number | null
}

export interface Store extends SegmentStore, EventStore {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Whether a query failed on a stored value the database cannot read (SQLite: JSON past its depth
   * limit; PostgreSQL: a data exception, such as \u0000 in text cast to jsonb), not on the database
   * itself: the row is at fault, and skipping it lets a walk over all rows go on.
   */
  isUnreadableValue(error: unknown): boolean
  /** Runs `work` in one transaction, retrying it when a concurrent writer got there first. */
  ingestTransaction<T>(work: (tx: IngestTransaction) => Promise<T>): Promise<T>

  findProfileId(kind: 'cookie' | 'email' | 'profile_id' | 'user_id', value: string): Promise<string | undefined>
  loadProfileView(profileId: string): Promise<ProfileView | undefined>

  upsertCohorts(cohorts: Array<{ id: string; name: string; description: string; terms: string[] }>): Promise<void>
  listCohorts(): Promise<CohortRow[]>
  findCohort(nameOrId: string): Promise<CohortRow | undefined>
  listCohortMembers(input: {
    cohortId: string
    limit: number
    offset: number
    afterProfileId: string | undefined
  }): Promise<CohortMemberRow[]>

  /** Adds an admin-defined cohort; throws AppError conflict when its name is taken. */
  createCustomCohort(input: { id: string; name: string; description: string; terms: string[]; seeds: string[]; now: number }): Promise<void>
  saveCorrection(input: { text: string; textKey: string; cohortIds: string[]; now: number }): Promise<void>
  listCorrections(): Promise<CorrectionRow[]>
  /** Profile ids in id order after `afterId`: the walk of a backfill. */
  listProfileIds(input: { afterId: string | undefined; limit: number }): Promise<string[]>

  listRawRecords(input: { status: StoredRawRecord['status'] | undefined; limit: number; afterId: number | undefined; source?: string; ids?: readonly number[] }): Promise<StoredRawRecord[]>
  countProfiles(): Promise<number>
  /** The merge log entries a profile took part in, oldest first. */
  listMerges(profileId: string): Promise<Array<MergeLogEntry & { createdAt: number }>>

  createApiKey(input: { id: string; keyHash: string; name: string; scopes: string[]; now: number }): Promise<void>
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined>
  countApiKeys(): Promise<number>
  listApiKeys(): Promise<ApiKeyRow[]>
  revokeApiKey(id: string, now: number): Promise<boolean>

  /** Refreshes the query planner's statistics; run after bulk loads (PostgreSQL may run without autovacuum). */
  optimize(): Promise<void>

  close(): Promise<void>
}
