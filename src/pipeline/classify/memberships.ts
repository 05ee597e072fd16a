// Cohort membership of a profile, derived from its interests through the classifier.
// A profile belongs to every cohort one of its interests maps to with a score of at least
// MIN_MEMBERSHIP_SCORE; its score there is its best interest's score, and that interest is the reason.
import type { ProfileState } from '../../domain/profile.ts'
import type { InterestClassifier } from '../../domain/types.ts'
import type { Membership } from '../../domain/cohort.ts'

export const MIN_MEMBERSHIP_SCORE = 0.3

export interface DesiredMembership {
  cohortId: string
  score: number
  reason: string
}

export function cohortIdsByName(classifier: InterestClassifier): Map<string, string> {
  return new Map(classifier.cohorts().map((c) => [c.name, c.id]))
}

export function desiredMemberships(
  profile: ProfileState,
  classifier: InterestClassifier,
  idsByName: ReadonlyMap<string, string>,
): Map<string, DesiredMembership> {
  const best = new Map<string, DesiredMembership>()
  // Sorted so that equal scores always name the same interest, whatever the insertion order.
  for (const interest of [...profile.interests.keys()].sort()) {
    for (const { cohort, score } of classifier.classify(interest)) {
      if (score < MIN_MEMBERSHIP_SCORE) continue
      const cohortId = idsByName.get(cohort)
      if (!cohortId) continue
      const rounded = Math.round(score * 1000) / 1000
      const current = best.get(cohortId)
      if (!current || rounded > current.score) best.set(cohortId, { cohortId, score: rounded, reason: `interest "${interest}"` })
    }
  }
  return best
}

export interface MembershipDiff {
  upserts: Array<Membership & { profileId: string }>
  deletes: Array<{ cohortId: string; profileId: string }>
  countDeltas: Map<string, number>
}

/** What to write so that the stored memberships of `profiles` become the desired ones. */
export function diffMemberships(
  current: ReadonlyMap<string, readonly Membership[]>,
  desired: ReadonlyMap<string, ReadonlyMap<string, DesiredMembership>>,
  now: number,
): MembershipDiff {
  const diff: MembershipDiff = { upserts: [], deletes: [], countDeltas: new Map() }
  const bump = (cohortId: string, by: number) => diff.countDeltas.set(cohortId, (diff.countDeltas.get(cohortId) ?? 0) + by)
  const profileIds = new Set([...current.keys(), ...desired.keys()])
  for (const profileId of profileIds) {
    const have = new Map((current.get(profileId) ?? []).map((m) => [m.cohortId, m]))
    const want = desired.get(profileId) ?? new Map<string, DesiredMembership>()
    for (const [cohortId, m] of want) {
      const old = have.get(cohortId)
      if (!old) {
        diff.upserts.push({ profileId, cohortId, score: m.score, reason: m.reason, assignedAt: now })
        bump(cohortId, 1)
      } else if (old.score !== m.score || old.reason !== m.reason) {
        diff.upserts.push({ profileId, cohortId, score: m.score, reason: m.reason, assignedAt: old.assignedAt })
      }
    }
    for (const cohortId of have.keys()) {
      if (!want.has(cohortId)) {
        diff.deletes.push({ cohortId, profileId })
        bump(cohortId, -1)
      }
    }
  }
  return diff
}
