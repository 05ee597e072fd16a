// Reading profiles: the user routes, backfills that walk every profile, counts.
import type { StoredMergeEntry } from '../../domain/identity.ts'
import type { ProfileView } from '../../domain/profile.ts'

export interface ProfileReader {

  findProfileId(kind: string, value: string): Promise<string | undefined>
  loadProfileView(profileId: string): Promise<ProfileView | undefined>
  countProfiles(): Promise<number>
  /**
   * The merge log entries that shaped a profile, oldest first: its own and those of every profile
   * it absorbed (their "profile" identity rows point at it), with the raw record behind each.
   */
  listMerges(profileId: string): Promise<StoredMergeEntry[]>
  /** Profile ids in id order after `afterId`: the walk of a backfill. */
  listProfileIds(input: { afterId: string | undefined; limit: number }): Promise<string[]>
}
