// Cohorts as stored: the model's and admins' cohorts, memberships, corrections.

export interface Membership {
  cohortId: string
  score: number
  assignedAt: number
  reason: string
}

export interface CohortRow {
  id: string
  name: string
  description: string
  terms: string[]
  members: number
  /** Seed terms of an admin-defined cohort; null for the model's own cohorts. */
  seeds: string[] | null
}

export interface CorrectionRow {
  text: string
  textKey: string
  /** [] means "no cohort". */
  cohortIds: string[]
  createdAt: number
}

export interface CohortMemberRow {
  profileId: string
  cookie: string | null
  email: string | null
  score: number
  assignedAt: number
}
