// Privacy storage (issue #12): what erasure, the access export, suppression and retention read and
// delete. A person's footprint is decided in privacy/footprint.ts from the rows loaded here.
import type { Login } from '../../domain/profile.ts'

export type IdentifierKind = 'email' | 'cookie' | 'profile_id' | 'user_id'
export interface PersonIdentifier {
  kind: IdentifierKind
  value: string
}

/**
 * What an erasure job erases: people, named by an identifier, or (raw_value, an explicit admin option)
 * the raw records that carry one exact value, typically a malformed one no person is keyed by.
 */
export type ErasureTarget = PersonIdentifier | { kind: 'raw_value'; value: string }

/** One identity row, as stored. */
export interface IdentityRow {
  kind: string
  value: string
  firstSeen: number
  lastSeen: number
}

/** A raw row as the footprint rule sees it: the routing columns, and the payload of rejected and superseded rows. */
export interface RawCandidate {
  id: number
  status: 'accepted' | 'rejected' | 'superseded'
  cookie: string | null
  email: string | null
  observedAt: number | null
  /** Only for rejected and superseded rows (their payload is searched for the person's identifiers). */
  payload?: string
}

/** Everything the footprint rule needs about one person, or about identifiers no profile holds. */
export interface PersonRows {
  profileId: string | null
  identities: IdentityRow[]
  /** Cookies the person's emails logged in on, including shared ones another profile holds now. */
  loginCookies: string[]
  /** The login timeline of each of the person's cookies (every email's logins, not only theirs). */
  logins: Map<string, Login[]>
  /** Accepted rows carrying one of the emails, or anonymous rows of one of the cookies. */
  candidates: RawCandidate[]
  /** Raw ids of the person's events. */
  eventRawIds: number[]
  /** Rejected and superseded rows (every one: they are searched by cookie and payload). */
  unresolved: RawCandidate[]
}

/** What the final erasure transaction deletes: everything left of one person. */
export interface ErasePlan {
  profileId: string | null
  /** The profile id and the ids it absorbed. */
  profileIds: string[]
  emails: string[]
  cookies: string[]
  /** The cookies that are the person's alone: refused links and merge rows naming them go too. */
  ownCookies: string[]
  userIds: string[]
  /** Locked first on PostgreSQL ("email:…", "cookie:…"), as ingest locks them. */
  lockKeys: string[]
  /** Computes the raw ids of the footprint inside the transaction, from rows as they stand then. */
  footprint: (rows: PersonRows) => number[]
}

export interface ErasureResult {
  counts: Record<string, number>
  /** Segments the person left: the change notifier is woken for them after commit. */
  segmentIds: string[]
}

export interface PrivacyJobRow {
  id: string
  status: 'running' | 'finished' | 'failed'
  requestedBy: string | null
  requestedAt: number
  identifiersHash: string
  identifierCount: number
  suppress: boolean
  counts: Record<string, number>
  error: string | null
  finishedAt: number | null
}

/** A raw row in the access export. */
export interface ExportedRawRecord {
  fields: { id: number; received_at: number; source: string; content_type: string; status: string; errors: unknown }
  /** As stored (JSON text); written into the export as it is, never parsed and serialized again. */
  payload: string
}

export interface PrivacyStore {
  /** The install's secret salt, generated once (a concurrent first call keeps the one stored first). */
  salt(generate: () => string): Promise<string>
  /** The profile an identifier names now, following a merged-away profile id to its survivor. */
  resolveProfile(identifier: PersonIdentifier): Promise<string | null>
  /** The rows the footprint rule reads for a person (or, without a profile, for bare identifiers). */
  loadPersonRows(person: { profileId: string | null; emails: string[]; cookies: string[]; userIds: string[] }): Promise<PersonRows>
  /**
   * The ids of the profile's events (and their raw rows), in id order: one index scan, after which
   * pages are read or deleted by primary key (a page "after id N" would rescan the person's events).
   */
  personEvents(profileId: string): Promise<Array<{ id: number; rawId: number | null }>>
  /** Deletes these events and their raw rows in one transaction. */
  deleteEvents(events: ReadonlyArray<{ id: number; rawId: number | null }>): Promise<{ events: number; rawRecords: number }>
  /** Deletes raw rows by id, in transactions of `chunk` rows. */
  deleteRawRecords(ids: readonly number[], chunk: number): Promise<number>
  /** The final transaction: locks, re-reads the footprint and deletes everything left of the person. */
  erasePerson(plan: ErasePlan, now: number): Promise<ErasureResult>
  /**
   * After an erasure job: removes what its deleted rows left in the storage files (the WAL, dead
   * tuples, statistics samples) from these tables (as named in the job's counts) and the job's own
   * identifier rows. Throws when it cannot finish; the rows are deleted either way.
   */
  scrubErased(tables: readonly string[]): Promise<void>

  createJob(job: PrivacyJobRow, identifiers: readonly ErasureTarget[]): Promise<void>
  pendingIdentifiers(jobId: string): Promise<ErasureTarget[]>
  /**
   * Raw rows that may carry `value` exactly: as their cookie or email column, or inside their payload
   * (a substring test; the caller keeps those where it is a whole JSON string value). Reads the whole table.
   */
  rawRecordsCarrying(value: string): Promise<RawCandidate[]>
  /** Records the job's progress; when finished or failed, its pending identifiers are deleted. */
  updateJob(job: Pick<PrivacyJobRow, 'id' | 'status' | 'counts' | 'error' | 'finishedAt'>): Promise<void>
  findJob(id: string): Promise<PrivacyJobRow | undefined>
  listJobs(limit: number): Promise<PrivacyJobRow[]>
  runningJobIds(): Promise<string[]>

  suppressionHashes(): Promise<string[]>
  addSuppressions(rows: ReadonlyArray<{ hash: string; kind: string }>, jobId: string | null, now: number): Promise<number>
  removeSuppressions(hashes: readonly string[]): Promise<number>

  /** Export reads. */
  exportProfile(profileId: string): Promise<Record<string, unknown> | undefined>
  exportSection(section: 'interests' | 'cohorts' | 'segments' | 'consent' | 'merges' | 'device_sightings', profileIds: readonly string[]): Promise<Array<Record<string, unknown>>>
  /** Events by id, in id order. */
  exportEvents(ids: readonly number[]): Promise<Array<Record<string, unknown>>>
  /** Raw rows by id, as received: the payload as the JSON text it is stored as. */
  exportRawRecords(ids: readonly number[]): Promise<ExportedRawRecord[]>

  /**
   * One retention step in its own transaction: looks at the next `limit` rows by id after `afterId`
   * and deletes those whose time (raw: received_at, events: at) is before `before`; `more` says
   * whether rows after `lastId` may still be old (they were received before the cutoff).
   */
  purgeOlder(table: 'raw_records' | 'events', before: number, limit: number, afterId: number): Promise<{ deleted: number; lastId: number; more: boolean }>
  /** Deletes device sightings (likely matches) seen before `before`; how many. */
  purgeSightingsOlder(before: number): Promise<number>
}
