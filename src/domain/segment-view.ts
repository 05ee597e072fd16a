// A profile as segment conditions see it: what the evaluator reads and what storage loads for it.

export interface SegmentProfile {
  id: string
  email: string | null
  phone: string | null
  city: string | null
  state: string | null
  country: string | null
  country_code: string | null
  age: number | null
  gender: string | null
  income: string | null
  education: string | null
  traits: Readonly<Record<string, unknown>>
  /** Epoch milliseconds. */
  first_seen: number
  last_seen: number
  interests: readonly string[]
  /** Lower-cased cohort name -> membership score. */
  cohorts: ReadonlyMap<string, number>
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
