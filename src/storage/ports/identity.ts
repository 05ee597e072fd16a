// What identity resolution reads and writes inside an ingest transaction.
import type { IdentityRow, MergeLogEntry, ResolveState, StoredMergeEntry } from '../../domain/identity.ts'
import type { Login, ProfileState } from '../../domain/profile.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'

export interface IdentityTransaction {
  /** Serializes concurrent batches that share an identifier (PostgreSQL; SQLite has one writer). */
  lockIdentifiers(keys: string[]): Promise<void>
  /** `links`: the batch's (cookie, email) logins, for the refused links and the guardrails' counts. */
  loadResolveState(input: { cookies: string[]; emails: string[]; links?: ReadonlyArray<{ cookie: string; email: string }> }): Promise<ResolveState>
  saveResolution(input: {
    profiles: Map<string, ProfileState>
    loaded: Map<string, ProfileState>
    absorbed: Array<{ id: string; into: string }>
    identities: IdentityRow[]
    logins: Array<{ cookie: string; email: string; at: number }>
    merges: MergeLogEntry[]
    now: number
  }): Promise<void>
  /** Everything needed to rebuild one identified person from the raw store (all emails of their profile). */
  loadPersonEvidence(email: string): Promise<{
    profile: ProfileState | undefined
    emails: ReadonlySet<string>
    logins: Map<string, Login[]>
    records: StoredRawRecord[]
  }>
  /** Replaces a profile and all its interests. */
  replaceProfile(profile: ProfileState): Promise<void>
  /** Profiles with their interests, locked against concurrent writers until the transaction ends. */
  loadProfiles(profileIds: string[]): Promise<Map<string, ProfileState>>

  // Unmerge and manual merge (privacy/identity-service.ts), in the same transaction as the rebuild.
  /** The profile an identifier resolves to now (an absorbed profile id resolves to its survivor). */
  resolveProfileId(kind: string, value: string): Promise<string | undefined>
  /** The emails whose identities point at this profile, sorted. */
  emailsOf(profileId: string): Promise<string[]>
  loadMerge(id: number): Promise<(StoredMergeEntry & { rawCookie: string | null; rawEmail: string | null }) | undefined>
  /** Everything that may belong to these people in the raw store, and what decides whether it does. */
  loadPeopleEvidence(profileIds: string[]): Promise<PeopleEvidence>
  /**
   * Deletes what was derived for these people: profiles, interests, their cookie, email and user
   * identities, events, consent changes. Memberships stay, so the rebuild's stages diff against them.
   */
  deletePeople(profileIds: string[]): Promise<void>
  /** Deletes "profile" identity rows named by these ids (an id that is a live profile again). */
  deleteProfileAliases(profileIds: string[]): Promise<void>
  refuseLinks(rows: Array<{ cookie: string; email: string; reason: string; mergeId: number | null; by: string | null }>, now: number): Promise<void>
  /** Removes refused links; returns how many there were. */
  allowLinks(rows: Array<{ cookie: string; email: string }>): Promise<number>
  /** Removes every refused link between a cookie and an email of these profiles; returns how many. */
  allowLinksAmong(profileIds: string[]): Promise<number>
  deleteLogins(rows: Array<{ cookie: string; email: string }>): Promise<void>
  insertMerges(entries: MergeLogEntry[], now: number): Promise<number[]>
}

export interface PeopleEvidence {
  /** email -> profile id, for every email of these people. */
  emails: Map<string, string>
  /** cookie -> profile id, for every cookie of these people. */
  cookies: Map<string, string>
  /** The logins of those cookies and of every cookie that logged in with those emails. */
  logins: Map<string, Login[]>
  /** Accepted rows: with those emails, anonymous rows of those cookies, and the rows behind these people's events. */
  records: StoredRawRecord[]
  /** Raw ids among `records` whose events belong to someone else: never applied again. */
  foreign: Set<number>
  /** Raw ids behind these people's events. */
  own: Set<number>
}
