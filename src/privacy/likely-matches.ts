// Likely matches (issue #20, opt-in): lists pairs of anonymous profiles that are probably one person
// (domain/likely-match.ts has the rules), each side with its cookies. Links are found from the stored
// sightings when listed, over the profiles as they stand: two profiles since merged are one profile,
// an absorbed profile's cookies now belong to its survivor (identified, or the same profile), and an
// erased person's sightings are gone, so none of them is listed. An admin joins a pair with the
// manual merge (identity-service.ts); nothing here merges.
import { byConfidence, DEFAULT_MIN_CONFIDENCE, findLikelyMatches, type LikelyMatch } from '../domain/likely-match.ts'
import type { LikelyMatchReader } from '../storage/ports/likely-matches.ts'

export interface LikelyMatchSide {
  profileId: string
  cookies: string[]
}

export interface ListedLikelyMatch extends LikelyMatch {
  sides: [LikelyMatchSide, LikelyMatchSide]
}

export interface LikelyMatchQuery {
  minConfidence?: number
  /** Only links with this profile on one side. */
  profileId?: string
  limit: number
  offset: number
}

export type LikelyMatchService = ReturnType<typeof createLikelyMatchService>

export function createLikelyMatchService(options: { enabled: boolean; windowMinutes: number; reader: LikelyMatchReader }) {
  const windowMs = options.windowMinutes * 60_000
  return {
    /** Whether ingest keeps sightings (CDP_LIKELY_MATCHES); links kept from before are listed either way. */
    enabled: options.enabled,
    windowMinutes: options.windowMinutes,
    /** Every link at or above the confidence, strongest first, as one page. */
    async list(query: LikelyMatchQuery): Promise<{ total: number; matches: ListedLikelyMatch[] }> {
      const minConfidence = query.minConfidence ?? DEFAULT_MIN_CONFIDENCE
      // One person's links need only the addresses they were seen on.
      const all = findLikelyMatches(await options.reader.loadSharedAddressSightings({ profileId: query.profileId }), { windowMs })
      const wanted = all.filter((m) => m.confidence >= minConfidence && (query.profileId === undefined || m.profileIds.includes(query.profileId))).sort(byConfidence)
      const page = wanted.slice(query.offset, query.offset + query.limit)
      const cookies = await options.reader.cookiesOf(page.flatMap((m) => m.profileIds))
      const side = (profileId: string): LikelyMatchSide => ({ profileId, cookies: cookies.get(profileId) ?? [] })
      return { total: wanted.length, matches: page.map((m) => ({ ...m, sides: [side(m.profileIds[0]), side(m.profileIds[1])] })) }
    },
  }
}
