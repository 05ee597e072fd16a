// Reading profiles: the user routes, backfills that walk every profile, counts.
import type { MergeLogEntry } from '../../domain/identity.ts'
import type { ProfileView } from '../../domain/profile.ts'

export interface ProfileReader {

  findProfileId(kind: 'cookie' | 'email' | 'profile_id' | 'user_id', value: string): Promise<string | undefined>
  loadProfileView(profileId: string): Promise<ProfileView | undefined>
  countProfiles(): Promise<number>
  /** The merge log entries a profile took part in, oldest first. */
  listMerges(profileId: string): Promise<Array<MergeLogEntry & { createdAt: number }>>
  /** Profile ids in id order after `afterId`: the walk of a backfill. */
  listProfileIds(input: { afterId: string | undefined; limit: number }): Promise<string[]>
}
