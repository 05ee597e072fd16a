// Interest cohorts: the catalogue and its members (cohorts/ and the cohort routes), and the
// memberships an ingest transaction recomputes.
import type { CohortMemberRow, CohortRow, CorrectionRow, Membership } from '../../domain/cohort.ts'

export interface CohortStore {

  upsertCohorts(cohorts: Array<{ id: string; name: string; description: string; terms: string[] }>): Promise<void>
  listCohorts(): Promise<CohortRow[]>
  findCohort(nameOrId: string): Promise<CohortRow | undefined>
  listCohortMembers(input: {
    cohortId: string
    limit: number
    offset: number
    afterProfileId: string | undefined
  }): Promise<CohortMemberRow[]>

  /** Adds an admin-defined cohort; throws AppError conflict when its name is taken. */
  createCustomCohort(input: { id: string; name: string; description: string; terms: string[]; seeds: string[]; now: number }): Promise<void>
  saveCorrection(input: { text: string; textKey: string; cohortIds: string[]; now: number }): Promise<void>
  listCorrections(): Promise<CorrectionRow[]>
}

export interface MembershipTransaction {
  loadMemberships(profileIds: string[]): Promise<Map<string, Membership[]>>
  saveMemberships(input: {
    upserts: Array<Membership & { profileId: string }>
    deletes: Array<{ cohortId: string; profileId: string }>
    countDeltas: Map<string, number>
  }): Promise<void>
}
