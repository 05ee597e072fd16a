// What identity resolution reads and writes inside an ingest transaction.
import type { IdentityRow, MergeLogEntry, ResolveState } from '../../domain/identity.ts'
import type { Login, ProfileState } from '../../domain/profile.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'

export interface IdentityTransaction {
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
}
