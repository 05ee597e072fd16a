// The in-memory shape of a resolved profile, as the pipeline folds observations into it.
import type { Membership } from './cohort.ts'
import type { ProfileFields } from './profile-fields.ts'

export interface InterestSeen {
  firstSeen: number
  lastSeen: number
  source: string
}

/** One purpose's consent as last observed: latest observation time wins (merge.ts). */
export interface ConsentState {
  granted: boolean
  at: number
  /** The source of the record that said so. */
  source: string
}

export interface ProfileState {
  id: string
  /** The primary key of an identified person; null while the visitor is known only by cookie. */
  email: string | null
  fields: ProfileFields
  /** Observation time behind each field value (`phone`, `trait:plan`, …); drives latest-wins merging. */
  fieldTimes: Record<string, number>
  traits: Record<string, unknown>
  interests: Map<string, InterestSeen>
  /** Per purpose (config `consentPurposes`): granted or withdrawn, when, by which source. Absent: never said. */
  consent: Record<string, ConsentState>
  firstSeen: number
  lastSeen: number
  createdAt: number
}

export interface Login {
  email: string
  at: number
}

export interface ProfileView {
  profile: ProfileState
  cookies: Array<{ cookie: string; lastSeen: number }>
  /** Linked identifiers (user_id, phone, device_id, declared kinds), most recently seen first. */
  identifiers: Array<{ kind: string; value: string; lastSeen: number }>
  memberships: Array<Membership & { name: string }>
}
