// Merging, in pure functions. A profile is the join of every observation that belongs to its
// person, and the join is built so that order never matters:
//
// - Each field holds the value with the latest observation time. Two values observed at the same
//   millisecond are ordered by their JSON text, so the winner never depends on which record
//   arrived first. Absent and null values are not observations and never overwrite anything.
// - A group of fields that only make sense together (a location: city, state, country, country
//   code) is one value: the latest observation that says anything about the group sets all of it,
//   members it leaves out included. Each member's time is the group's time.
// - Custom traits follow the same rule key by key.
// - Interests are a union; each keeps its earliest first_seen and latest last_seen.
// - Consent is per purpose and latest-wins like a field: a withdrawal observed later than a grant
//   stands, whichever record arrived first. At the same millisecond a withdrawal wins (the safe side).
// - first_seen is the minimum and last_seen the maximum over everything merged.
//
// Together these make `mergeProfiles` commutative, associative and idempotent (a lattice join) on
// everything but the id and email, which the caller chooses: the survivor keeps its own.
import type { ConsentState, InterestSeen, ProfileState } from '../../domain/profile.ts'
import type { Observation } from '../../domain/types.ts'
import { PROFILE_FIELD_GROUPS, PROFILE_FIELD_NAMES, type ProfileFieldName, type ProfileFields } from '../../domain/profile-fields.ts'

const TRAIT_PREFIX = 'trait:'

const GROUPS: ReadonlyArray<readonly ProfileFieldName[]> = Object.values(PROFILE_FIELD_GROUPS)
const GROUPED = new Set<string>(GROUPS.flat())
const SINGLE_FIELDS = PROFILE_FIELD_NAMES.filter((name) => !GROUPED.has(name))

/** True when (timeB, valueB) should replace (timeA, valueA). */
function isLater(timeA: number | undefined, valueA: unknown, timeB: number, valueB: unknown): boolean {
  if (timeA === undefined) return true
  if (timeB !== timeA) return timeB > timeA
  return JSON.stringify(valueB) > JSON.stringify(valueA)
}

/** When a group was last set: the latest of its members' times (profiles stored before groups had per-member times). */
function groupTime(times: Readonly<Record<string, number>>, group: readonly string[]): number | undefined {
  let latest: number | undefined
  for (const name of group) {
    const at = times[name]
    if (at !== undefined && (latest === undefined || at > latest)) latest = at
  }
  return latest
}

/** The group's members as one comparable value: null for a member not set. */
function groupValue(fields: Readonly<Record<string, unknown>>, group: readonly string[]): unknown[] {
  return group.map((name) => fields[name] ?? null)
}

/**
 * Folds `incoming`'s value of a group into `fields` when it is later. A source that sets no member
 * says nothing about the group; one that sets any member replaces the whole group.
 */
function joinGroup(
  fields: Record<string, unknown>,
  fieldTimes: Record<string, number>,
  group: readonly string[],
  incoming: Readonly<Record<string, unknown>>,
  timeOf: () => number | undefined,
): void {
  const value = groupValue(incoming, group)
  if (value.every((v) => v === null)) return
  const at = timeOf()
  if (at === undefined) return
  if (!isLater(groupTime(fieldTimes, group), groupValue(fields, group), at, value)) return
  group.forEach((name, i) => {
    fields[name] = value[i]
    fieldTimes[name] = at
  })
}

export function emptyProfile(id: string, email: string | null, createdAt: number): ProfileState {
  return {
    id,
    email,
    fields: {},
    fieldTimes: {},
    traits: {},
    interests: new Map(),
    consent: {},
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

function laterConsent(a: ConsentState | undefined, b: ConsentState): boolean {
  if (!a) return true
  if (a.at !== b.at) return b.at > a.at
  if (a.granted !== b.granted) return !b.granted
  return b.source < a.source
}

function joinConsent(into: Record<string, ConsentState>, from: Readonly<Record<string, ConsentState>>): Record<string, ConsentState> {
  let result = into
  for (const [purpose, state] of Object.entries(from)) {
    if (!laterConsent(Object.hasOwn(result, purpose) ? result[purpose] : undefined, state)) continue
    if (result === into) result = { ...into }
    setOwn(result, purpose, state)
  }
  return result
}

/** Returns a new profile: `profile` with one more observation folded in. */
export function applyObservation(profile: ProfileState, observation: Observation, source: string): ProfileState {
  const at = observation.observedAt
  const fields: ProfileFields = { ...profile.fields }
  const fieldTimes = { ...profile.fieldTimes }
  const writable = fields as Record<string, unknown>
  for (const name of SINGLE_FIELDS) {
    const value = observation.fields[name]
    if (value === undefined || value === null) continue
    if (isLater(fieldTimes[name], writable[name], at, value)) {
      writable[name] = value
      fieldTimes[name] = at
    }
  }
  for (const group of GROUPS) joinGroup(writable, fieldTimes, group, observation.fields as Record<string, unknown>, () => at)
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
  let consent = profile.consent
  if (observation.consent) {
    const stated: Record<string, ConsentState> = {}
    for (const [purpose, granted] of Object.entries(observation.consent)) setOwn(stated, purpose, { granted, at, source })
    consent = joinConsent(consent, stated)
  }
  return {
    ...profile,
    fields,
    fieldTimes,
    traits,
    interests,
    consent,
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
  for (const name of SINGLE_FIELDS) {
    const value = absorbed.fields[name]
    const at = absorbed.fieldTimes[name]
    if (value === undefined || value === null || at === undefined) continue
    if (isLater(fieldTimes[name], writable[name], at, value)) {
      writable[name] = value
      fieldTimes[name] = at
    }
  }
  for (const group of GROUPS) joinGroup(writable, fieldTimes, group, absorbed.fields as Record<string, unknown>, () => groupTime(absorbed.fieldTimes, group))
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
    consent: joinConsent(survivor.consent, absorbed.consent),
    firstSeen: Math.min(survivor.firstSeen, absorbed.firstSeen),
    lastSeen: Math.max(survivor.lastSeen, absorbed.lastSeen),
  }
}
