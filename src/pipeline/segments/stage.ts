// Business segments: kept current in every transaction that changes profiles or their cohorts.
import type { ProfileState } from '../../domain/profile.ts'
import type { SegmentEngine } from '../../segments/engine.ts'
import type { SegmentTransaction } from '../../storage/ports/segments.ts'

export function createSegmentsStage(deps: {
  /** The engine in use, if any (set after start, useSegments). */
  engine: () => Pick<SegmentEngine, 'evaluate'> | null
}) {
  /** Returns the ids of the segments that gained or lost members. */
  return async function evaluateSegments(
    tx: SegmentTransaction,
    input: {
      profiles: Iterable<ProfileState>
      /** Profiles created in this transaction (see EvaluationInput.created). */
      created?: ReadonlySet<string>
      cohortScores: ReadonlyMap<string, ReadonlyMap<string, number>>
      absorbed?: ReadonlyArray<{ id: string; into: string }>
      reason: string
      now: number
    },
  ): Promise<Set<string>> {
    const engine = deps.engine()
    if (!engine) return new Set()
    const { profiles, created, cohortScores, absorbed, reason, now } = input
    return await engine.evaluate(tx, { profiles, cohorts: cohortScores, ...(created ? { created } : {}), ...(absorbed ? { absorbed } : {}), reason, now })
  }
}
