// Likely matches (issue #20): device sightings written by the ingest transaction when the feature is
// on (pipeline/likely/stage.ts), and what listing the links reads (privacy/likely-matches.ts).
import type { DeviceSighting, OwnedSighting } from '../../domain/likely-match.ts'

/** The likely-matches half of an ingest transaction. */
export interface LikelyMatchTransaction {
  /** One multi-row insert; a sighting already kept for its slot is skipped, so replays change nothing. */
  insertDeviceSightings(rows: readonly DeviceSighting[]): Promise<void>
}

export interface LikelyMatchReader {
  /**
   * The sightings of every IP address where two or more cookies were seen, each with the profile its
   * cookie resolves to now; cookies that resolve to no profile (erased) are left out. With
   * `profileId`, only the addresses that profile's cookies were seen on.
   */
  loadSharedAddressSightings(options?: { profileId?: string }): Promise<OwnedSighting[]>
  /** The cookies of each profile (sorted). */
  cookiesOf(profileIds: readonly string[]): Promise<Map<string, string[]>>
}
