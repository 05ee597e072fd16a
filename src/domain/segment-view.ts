// A profile as segment conditions see it: what the evaluator reads and what storage loads for it.
import type { PROFILE_FIELDS, ProfileFieldName, ProfileFields } from './profile-fields.ts'

/** The fields of the table that conditions can name (segment kind not null). */
export type SegmentFieldName = { [N in ProfileFieldName]: (typeof PROFILE_FIELDS)[N]['segment'] extends null ? never : N }[ProfileFieldName]

/** Each such field by name, null when the profile has no value. */
export type SegmentFieldValues = { [N in SegmentFieldName]-?: Exclude<ProfileFields[N], undefined> }

export interface SegmentProfile extends SegmentFieldValues {
  id: string
  email: string | null
  traits: Readonly<Record<string, unknown>>
  /** Epoch milliseconds. */
  first_seen: number
  last_seen: number
  interests: readonly string[]
  /** Lower-cased cohort name -> membership score. */
  cohorts: ReadonlyMap<string, number>
  /** Purpose -> whether the latest statement grants it; a purpose never stated is absent. */
  consent: Readonly<Record<string, boolean>>
  /** Ids of the segments the profile belongs to; the caller evaluates referenced segments first. */
  segments: ReadonlySet<string>
  /**
   * Event name (exact) -> occurrences, oldest first: only the names the evaluated conditions refer
   * to, and of those only the occurrences eventNeeds() asks for. A name that is absent never happened.
   */
  events: ReadonlyMap<string, readonly EventOccurrence[]>
}

export interface EventOccurrence {
  /** Epoch milliseconds, whole. */
  at: number
  properties: Readonly<Record<string, unknown>>
}
