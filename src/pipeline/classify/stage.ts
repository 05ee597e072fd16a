// Cohorts: each touched profile's memberships, as the classifier scores its interests, diffed
// against what is stored.
import type { ProfileState } from '../../domain/profile.ts'
import type { InterestClassifier } from '../../domain/types.ts'
import type { MembershipTransaction } from '../../storage/ports/cohorts.ts'
import { cohortIdsByName, type DesiredMembership, desiredMemberships, diffMemberships } from './memberships.ts'

/** A classifier with its cohorts' ids and names, swapped as one (useClassifier). */
export interface ActiveClassifier {
  classifier: InterestClassifier
  /** Cohort name -> id. */
  cohortIds: ReadonlyMap<string, string>
  /** Cohort id -> lower-cased name, as segment conditions name cohorts. */
  cohortNameKeys: ReadonlyMap<string, string>
}

export function activeClassifier(classifier: InterestClassifier): ActiveClassifier {
  const cohortIds = cohortIdsByName(classifier)
  return { classifier, cohortIds, cohortNameKeys: new Map([...cohortIds].map(([name, id]) => [id, name.toLowerCase()])) }
}

export interface Classified {
  /** Membership rows written or deleted. */
  changed: number
  /** profile id -> lower-cased cohort name -> score, from the memberships just computed. */
  cohortScores: Map<string, Map<string, number>>
}

export function createClassifyStage() {
  return async function classify(
    tx: MembershipTransaction,
    input: { active: ActiveClassifier; profiles: Iterable<ProfileState>; absorbedIds?: readonly string[]; now: number },
  ): Promise<Classified> {
    const { active, now } = input
    const profiles = [...input.profiles]
    const current = await tx.loadMemberships([...profiles.map((p) => p.id), ...(input.absorbedIds ?? [])])
    const desired = new Map<string, Map<string, DesiredMembership>>()
    for (const profile of profiles) desired.set(profile.id, desiredMemberships(profile, active.classifier, active.cohortIds))
    const diff = diffMemberships(current, desired, now)
    await tx.saveMemberships(diff)
    const cohortScores = new Map<string, Map<string, number>>()
    for (const [profileId, memberships] of desired) {
      const scores = new Map<string, number>()
      for (const m of memberships.values()) scores.set(active.cohortNameKeys.get(m.cohortId) ?? m.cohortId, m.score)
      cohortScores.set(profileId, scores)
    }
    return { changed: diff.upserts.length + diff.deletes.length, cohortScores }
  }
}
