// Merging, in pure functions. A profile is the join of every observation that belongs to its
// person, and the join is built so that order never matters:
//
// - Each field holds the value with the latest observation time. Two values observed at the same
//   millisecond are ordered by their JSON text, so the winner never depends on which record
//   arrived first. Absent and null values are not observations and never overwrite anything.
// - Custom traits follow the same rule key by key.
// - Interests are a union; each keeps its earliest first_seen and latest last_seen.
// - first_seen is the minimum and last_seen the maximum over everything merged.
//
// Together these make `mergeProfiles` commutative, associative and idempotent (a lattice join) on
// everything but the id and email, which the caller chooses: the survivor keeps its own.
import type { InterestSeen, ProfileState } from '../../domain/profile.ts'
import type { Observation, ProfileFields } from '../../domain/types.ts'
import { PROFILE_FIELD_NAMES } from '../../domain/types.ts'

const TRAIT_PREFIX = 'trait:'

/** True when (timeB, valueB) should replace (timeA, valueA). */
function isLater(timeA: number | undefined, valueA: unknown, timeB: number, valueB: unknown): boolean {
  if (timeA === undefined) return true
  if (timeB !== timeA) return timeB > timeA
  return JSON.stringify(valueB) > JSON.stringify(valueA)
}

export function emptyProfile(id: string, email: string | null, createdAt: number): ProfileState {
  return {
    id,
    email,
    fields: {},
    fieldTimes: {},
    traits: {},
    interests: new Map(),
    firstSeen: Number.POSITIVE_INFINITY,
    lastSeen: Number.NEGATIVE_INFINITY,
    createdAt,
  }
}

function joinInterest(a: InterestSeen | undefined, b: InterestSeen): InterestSeen {
  if (!a) return b
  const source =
    a.firstSeen !== b.firstSeen ? (a.firstSeen < b.firstSeen ? a.source : b.source) : a.source < b.source ? a.source : b.source
  return { firstSeen: Math.min(a.firstSeen, b.firstSeen), lastSeen: Math.max(a.lastSeen, b.lastSeen), source }
}

/** Returns a new profile: `profile` with one more observation folded in. */
export function applyObservation(profile: ProfileState, observation: Observation, source: string): ProfileState {
  const at = observation.observedAt
  const fields: ProfileFields = { ...profile.fields }
  const fieldTimes = { ...profile.fieldTimes }
  const writable = fields as Record<string, unknown>
  for (const name of PROFILE_FIELD_NAMES) {
    const value = observation.fields[name]
    if (value === undefined || value === null) continue
    if (isLater(fieldTimes[name], writable[name], at, value)) {
      writable[name] = value
      fieldTimes[name] = at
    }
  }
  const traits = { ...profile.traits }
  for (const [key, value] of Object.entries(observation.traits)) {
    if (value === undefined || value === null) continue
    const timeKey = TRAIT_PREFIX + key
    if (isLater(fieldTimes[timeKey], ownValue(traits, key), at, value)) {
      setOwn(traits, key, value)
      fieldTimes[timeKey] = at
    }
  }
  const interests = new Map(profile.interests)
  for (const interest of observation.interests) {
    interests.set(interest, joinInterest(interests.get(interest), { firstSeen: at, lastSeen: at, source }))
  }
  return {
    ...profile,
    fields,
    fieldTimes,
    traits,
    interests,
    firstSeen: Math.min(profile.firstSeen, at),
    lastSeen: Math.max(profile.lastSeen, at),
  }
}

// A trait may be named "__proto__" (JSON.parse makes it an own key): reading or assigning it as
// traits[key] would reach the prototype instead, losing the trait.
function ownValue(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Joins `absorbed` into `survivor`. The result keeps the survivor's id, email and created_at;
 * every other attribute is the order-independent join described at the top of this file.
 */
export function mergeProfiles(survivor: ProfileState, absorbed: ProfileState): ProfileState {
  const fields: ProfileFields = { ...survivor.fields }
  const writable = fields as Record<string, unknown>
  const fieldTimes = { ...survivor.fieldTimes }
  for (const name of PROFILE_FIELD_NAMES) {
    const value = absorbed.fields[name]
    const at = absorbed.fieldTimes[name]
    if (value === undefined || value === null || at === undefined) continue
    if (isLater(fieldTimes[name], writable[name], at, value)) {
      writable[name] = value
      fieldTimes[name] = at
    }
  }
  const traits = { ...survivor.traits }
  for (const [key, value] of Object.entries(absorbed.traits)) {
    const at = absorbed.fieldTimes[TRAIT_PREFIX + key]
    if (value === undefined || value === null || at === undefined) continue
    if (isLater(fieldTimes[TRAIT_PREFIX + key], ownValue(traits, key), at, value)) {
      setOwn(traits, key, value)
      fieldTimes[TRAIT_PREFIX + key] = at
    }
  }
  const interests = new Map(survivor.interests)
  for (const [interest, seen] of absorbed.interests) interests.set(interest, joinInterest(interests.get(interest), seen))
  return {
    ...survivor,
    fields,
    fieldTimes,
    traits,
    interests,
    firstSeen: Math.min(survivor.firstSeen, absorbed.firstSeen),
    lastSeen: Math.max(survivor.lastSeen, absorbed.lastSeen),
  }
}
