// Incremental segment membership: inside the transaction that changes profiles (ingest, merge,
// reclassification, a time window passing, a backfill page), every active segment is evaluated for
// exactly those profiles, in dependency order, and entries and exits are written with the change log.
import type { ProfileState } from '../domain/profile.ts'
import { AppError } from '../errors.ts'
import { type Condition, eventNeeds, parseSegmentDefinition, referencedEvents, referencedSegments, usesRelativeTime } from './language/parse.ts'
import { nextTimeChange } from './language/evaluate.ts'
import { compileCondition } from './language/compile.ts'
import { allFields, conditionFieldTable, PROFILE_FIELDS, type ProfileFieldTable } from '../domain/profile-fields.ts'
import type { EventOccurrence, SegmentProfile } from '../domain/segment-view.ts'
import type { SegmentChange, SegmentRow } from '../domain/segment.ts'
import type { SegmentDataNeeds, SegmentTransaction } from '../storage/ports/segments.ts'

export interface ActiveSegment {
  id: string
  name: string
  version: number
  /** The definition, and with required consent the implicit AND of it (see activeSegment). */
  condition: Condition
  /** Purposes every member must have granted. */
  requiredConsent: readonly string[]
  /** Segments this one's condition names. */
  dependsOn: string[]
  /** Event names its condition reads. */
  events: string[]
  timeRelative: boolean
}

/**
 * The engine reads the events its conditions need itself, through the transaction (so events inserted
 * earlier in the same transaction count): callers pass profiles and cohorts only.
 */
export interface EvaluationInput {
  profiles: Iterable<ProfileState>
  /** profile id -> lower-cased cohort name -> score, as of this transaction. */
  cohorts: ReadonlyMap<string, ReadonlyMap<string, number>>
  /**
   * Profiles whose ids this transaction generated and no evaluation has seen: nothing can be stored
   * under them, so their memberships and schedule are not read (most of a bulk import).
   */
  created?: ReadonlySet<string>
  /** Profiles merged away in this transaction: they leave every segment. */
  absorbed?: ReadonlyArray<{ id: string; into: string }>
  /** Evaluate only these segments (a backfill, a due time window); default all. */
  only?: ReadonlySet<string>
  reason: string
  now: number
}

const NO_EVENTS: ReadonlyMap<string, readonly EventOccurrence[]> = new Map()
const NO_CONSENT: Readonly<Record<string, boolean>> = Object.freeze({})

/** Purpose -> granted, from the profile's latest statements (the view conditions read). */
export function consentView(consent: ProfileState['consent']): Readonly<Record<string, boolean>> {
  const purposes = Object.keys(consent)
  if (purposes.length === 0) return NO_CONSENT
  const view: Record<string, boolean> = {}
  for (const purpose of purposes) view[purpose] = (consent[purpose] as ProfileState['consent'][string]).granted
  return view
}

/**
 * The profile as conditions see it: every field conditions can name (conditionFieldTable), null when
 * unset; the same fields a view read from the database holds.
 * `fields` is the field table; tests pass a fixture table.
 */
export function toSegmentProfile<S extends ReadonlySet<string>>(
  profile: ProfileState,
  context: { cohorts: ReadonlyMap<string, number>; segments: S; events?: ReadonlyMap<string, readonly EventOccurrence[]> },
  fields: ProfileFieldTable = PROFILE_FIELDS,
): SegmentProfile & { segments: S } {
  // The fields go in first and always in table order, so every view has one shape: evaluation reads
  // them for every profile × segment, and property reads stay fast only on objects of one shape.
  const view = allFields(profile.fields, conditionFieldTable(fields)) as unknown as Partial<SegmentProfile>
  view.id = profile.id
  view.email = profile.email
  view.traits = profile.traits
  view.first_seen = profile.firstSeen
  view.last_seen = profile.lastSeen
  view.interests = [...profile.interests.keys()]
  view.cohorts = context.cohorts
  view.consent = consentView(profile.consent ?? {})
  view.segments = context.segments
  view.events = context.events ?? NO_EVENTS
  return view as SegmentProfile & { segments: S }
}

/**
 * A segment that requires consent selects what its definition selects among those who granted every
 * required purpose: the definition AND one consent condition per purpose. Being one condition, it is
 * evaluated alike everywhere (ingest, backfills in SQL or in memory, previews, explanations), so a
 * profile without the consent is never a member: not exported, not sent, not streamed.
 */
export function withRequiredConsent(definition: Condition, requiredConsent: readonly string[]): Condition {
  if (requiredConsent.length === 0) return definition
  return { kind: 'all', children: [definition, ...requiredConsent.map((purpose): Condition => ({ kind: 'consent', purpose, granted: true }))] }
}

/** Parses a stored definition; stored definitions were validated when saved. */
export function activeSegment(row: Pick<SegmentRow, 'id' | 'name' | 'version' | 'definition'> & { requiredConsent?: readonly string[] }): ActiveSegment {
  const parsed = parseSegmentDefinition(row.definition)
  if (parsed.kind === 'rejected') throw new Error(`segment ${row.id} has an invalid stored definition: ${parsed.detail[0]?.path}: ${parsed.detail[0]?.message}`)
  const requiredConsent = row.requiredConsent ?? []
  const condition = withRequiredConsent(parsed.value, requiredConsent)
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    condition,
    requiredConsent,
    dependsOn: referencedSegments(condition),
    events: referencedEvents(condition),
    timeRelative: usesRelativeTime(condition),
  }
}

/** Why a member left: a missing required purpose says so, since downstream tools must act on it. */
function leftReason(segment: ActiveSegment, view: SegmentProfile, reason: string): string {
  const withdrawn = segment.requiredConsent.filter((purpose) => view.consent[purpose] !== true)
  return withdrawn.length === 0 ? reason : `consent withdrawn: ${withdrawn.join(', ')} (${reason})`
}

export type ConditionNeeds = SegmentDataNeeds

/** What evaluating these conditions reads beyond the profile's columns: a backfill page loads only that. */
export function conditionNeeds(conditions: readonly Condition[]): ConditionNeeds {
  const needs = { interests: false, cohorts: false, traits: false, consent: false, events: eventNeeds(conditions) }
  const visit = (c: Condition): void => {
    if (c.kind === 'all' || c.kind === 'any') c.children.forEach(visit)
    else if (c.kind === 'not') visit(c.child)
    else if (c.kind === 'interest') needs.interests = true
    else if (c.kind === 'cohort') needs.cohorts = true
    else if (c.kind === 'consent') needs.consent = true
    else if (c.kind === 'field' && c.ref.kind === 'trait') needs.traits = true
  }
  conditions.forEach(visit)
  return needs
}

/** Dependencies first; throws naming the cycle when segments refer to each other in a loop. */
export function dependencyOrder(segments: readonly ActiveSegment[]): ActiveSegment[] {
  const byId = new Map(segments.map((s) => [s.id, s]))
  const order: ActiveSegment[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (segment: ActiveSegment, path: string[]) => {
    const seen = state.get(segment.id)
    if (seen === 'done') return
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(segment.id)), segment.id]
      throw new AppError('invalid_input', `conditions: segments refer to each other in a loop (${cycle.join(' → ')}); a segment cannot depend on itself`)
    }
    state.set(segment.id, 'visiting')
    for (const dep of [...segment.dependsOn].sort()) {
      const target = byId.get(dep)
      if (target) visit(target, [...path, segment.id])
    }
    state.set(segment.id, 'done')
    order.push(segment)
  }
  for (const segment of [...segments].sort((a, b) => (a.id < b.id ? -1 : 1))) visit(segment, [])
  return order
}

export class SegmentEngine {
  private ordered: ActiveSegment[] = []

  /** Replaces the set of active segments (after any create, edit or delete). */
  setSegments(segments: readonly ActiveSegment[]): void {
    this.ordered = dependencyOrder(segments)
  }

  segments(): readonly ActiveSegment[] {
    return this.ordered
  }

  get(id: string): ActiveSegment | undefined {
    return this.ordered.find((s) => s.id === id)
  }

  /**
   * The segments whose verdict new occurrences of these events can change: those that read them and
   * every segment built on those. Pass as `only` when a transaction adds events and nothing else.
   */
  readingEvents(names: Iterable<string>): Set<string> {
    const wanted = new Set(names)
    const out = new Set<string>()
    for (const s of this.ordered) {
      if (s.events.some((name) => wanted.has(name))) for (const id of this.withDependents(s.id)) out.add(id)
    }
    return out
  }

  /** The segment and every segment that depends on it, directly or not. */
  withDependents(id: string): Set<string> {
    const out = new Set([id])
    let grew = true
    while (grew) {
      grew = false
      for (const s of this.ordered) {
        if (!out.has(s.id) && s.dependsOn.some((d) => out.has(d))) {
          out.add(s.id)
          grew = true
        }
      }
    }
    return out
  }

  /** Evaluates and writes; returns the ids of the segments whose membership changed. */
  async evaluate(tx: SegmentTransaction, input: EvaluationInput): Promise<Set<string>> {
    const profiles = [...input.profiles]
    const absorbed = input.absorbed ?? []
    if (this.ordered.length === 0 || (profiles.length === 0 && absorbed.length === 0)) return new Set()
    const segments = input.only ? this.ordered.filter((s) => input.only?.has(s.id)) : this.ordered
    const created = input.created
    const stored = [...(created ? profiles.filter((p) => !created.has(p.id)) : profiles).map((p) => p.id), ...absorbed.map((a) => a.id)]
    const current = stored.length > 0 ? await tx.loadSegmentMemberships(stored) : new Map<string, Set<string>>()
    const timed = segments.some((s) => s.timeRelative) || (absorbed.length > 0 && this.ordered.some((s) => s.timeRelative))
    const scheduled = timed && stored.length > 0 ? await tx.loadSegmentSchedule(stored) : new Map<string, Map<string, number>>()
    const noCohorts = new Map<string, number>()
    const needed = eventNeeds(segments.map((s) => s.condition))
    const events = needed.size > 0 ? await tx.loadSegmentEvents({ profileIds: profiles.map((p) => p.id), events: needed, now: input.now }) : new Map()
    const views = profiles.map((p) =>
      toSegmentProfile(p, { cohorts: input.cohorts.get(p.id) ?? noCohorts, segments: new Set(current.get(p.id) ?? []), events: events.get(p.id) }),
    )
    return this.evaluateViews(tx, { views, scheduled, absorbed: absorbed.map((a) => ({ ...a, segments: current.get(a.id) ?? new Set() })), segments, reason: input.reason, now: input.now })
  }

  /**
   * The core, over prepared views (a backfill page reads them by id range). Each view's `segments`
   * is updated as segments are evaluated in dependency order, so a segment built on another sees its
   * new state. Only differences are written, schedule included.
   */
  async evaluateViews(
    tx: SegmentTransaction,
    input: {
      views: Array<SegmentProfile & { segments: Set<string> }>
      scheduled: ReadonlyMap<string, ReadonlyMap<string, number>>
      absorbed?: ReadonlyArray<{ id: string; into: string; segments: ReadonlySet<string> }>
      segments: readonly ActiveSegment[]
      reason: string
      now: number
    },
  ): Promise<Set<string>> {
    const changes: SegmentChange[] = []
    const schedule: Array<{ segmentId: string; profileId: string; dueAt: number | null }> = []
    const reschedule = (segmentId: string, profileId: string, dueAt: number | null) => {
      const known = input.scheduled.get(profileId)?.get(segmentId) ?? null
      if (known === dueAt) return
      // An earlier check still pending is kept: when it runs it finds the verdict unchanged and moves
      // itself to the right time. Moving it later on every event (each Add to Cart pushes "24 h after
      // the latest" forward) would rewrite the row and its index once per event.
      if (known !== null && dueAt !== null && known > input.now && known < dueAt) return
      schedule.push({ segmentId, profileId, dueAt })
    }
    const { now } = input
    const tests = input.segments.map((segment) => compileCondition(segment.condition))
    for (const view of input.views) {
      const memberOf = view.segments
      for (let index = 0; index < input.segments.length; index++) {
        const segment = input.segments[index] as ActiveSegment
        const inside = (tests[index] as (typeof tests)[number])(view, now)
        const was = memberOf.has(segment.id)
        if (inside && !was) {
          memberOf.add(segment.id)
          changes.push({ segmentId: segment.id, profileId: view.id, change: 'entered', reason: input.reason })
        } else if (!inside && was) {
          memberOf.delete(segment.id)
          changes.push({ segmentId: segment.id, profileId: view.id, change: 'left', reason: leftReason(segment, view, input.reason) })
        }
        // The verdict just computed is the one at input.now, which nextTimeChange would compute again.
        if (segment.timeRelative) reschedule(segment.id, view.id, nextTimeChange(segment.condition, view, input.now, inside))
      }
    }
    for (const { id, into, segments } of input.absorbed ?? []) {
      for (const segmentId of [...segments].sort()) changes.push({ segmentId, profileId: id, change: 'left', reason: `merged into ${into}` })
      for (const segment of this.ordered) if (segment.timeRelative) reschedule(segment.id, id, null)
    }
    // Only segments that still exist: a segment deleted mid-transaction keeps no memberships.
    const live = new Set(this.ordered.map((s) => s.id))
    const kept = changes.filter((c) => live.has(c.segmentId))
    await tx.applySegmentChanges({ changes: kept, schedule, now: input.now })
    return new Set(kept.map((c) => c.segmentId))
  }
}
