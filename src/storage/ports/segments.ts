// Business segments: definitions, members and previews (segments/service.ts and the segment routes),
// and the segment half of an ingest transaction (segments/engine.ts). Storage compiles conditions
// itself, so nothing above it sees SQL.
import type { Condition, EventNeed } from '../../domain/condition.ts'
import type { SegmentChange, SegmentMemberRow, SegmentRow, SegmentVersionRow } from '../../domain/segment.ts'
import type { EventOccurrence, SegmentProfile } from '../../domain/segment-view.ts'

/** What evaluating some segments reads beyond the profile's columns (engine.ts conditionNeeds). */
export interface SegmentDataNeeds {
  interests: boolean
  cohorts: boolean
  traits: boolean
  consent: boolean
  /** Event name -> which of its occurrences: see EventNeed. Empty when no condition reads events. */
  events: ReadonlyMap<string, EventNeed>
}

/**
 * Occurrences of the needed events for segment evaluation: profile id -> event name -> occurrences
 * oldest first, exactly as many as `events` asks for counted from `now` (windows reach back from it).
 * Profiles without any are absent.
 */
export interface LoadSegmentEventsInput {
  profileIds: string[]
  events: ReadonlyMap<string, EventNeed>
  now: number
}
export type SegmentEvents = Map<string, Map<string, EventOccurrence[]>>

/** The segment half of an ingest transaction. */
export interface SegmentTransaction {
  /** profile id -> ids of the segments it belongs to. */
  loadSegmentMemberships(profileIds: string[]): Promise<Map<string, Set<string>>>
  /** profile id -> segment id -> when its time-relative verdict may change next. */
  loadSegmentSchedule(profileIds: string[]): Promise<Map<string, Map<string, number>>>
  /** Reads the transaction's own writes: events inserted earlier in it are included. */
  loadSegmentEvents(input: LoadSegmentEventsInput): Promise<SegmentEvents>
  /**
   * The profiles with ids in (afterId, lastId] as segment views (fields, interests, cohorts by
   * lower-cased name, segments), with their schedule: a backfill page, read by range, not by id list.
   * `now` bounds the events loaded (see LoadSegmentEventsInput); evaluate the views at `now` or later. */
  loadSegmentViews(input: { afterId: string | undefined; lastId: string; needs: SegmentDataNeeds; now: number }): Promise<{
    views: Array<SegmentProfile & { segments: Set<string> }>
    scheduled: Map<string, Map<string, number>>
  }>
  /** Writes entries and exits with their change-log rows and member counts, and the re-evaluation schedule (null = none). */
  applySegmentChanges(input: {
    changes: SegmentChange[]
    schedule: Array<{ segmentId: string; profileId: string; dueAt: number | null }>
    now: number
  }): Promise<void>
  /**
   * One page of a backfill: the next profile ids (locked on PostgreSQL), which of them match
   * `condition` at `now` (null without one: the caller evaluates them itself), and which are members now.
   */
  segmentPage(input: { segmentId: string; afterId: string | undefined; limit: number; condition: Condition | null; now: number }): Promise<{
    ids: string[]
    matching: Set<string> | null
    members: Set<string>
  }>
}

export interface SegmentStore {
  createSegment(input: { id: string; name: string; description: string; definition: unknown; requiredConsent: readonly string[]; now: number }): Promise<void>
  /** Saves a new version; returns its number. */
  updateSegment(input: { id: string; name: string; description: string; definition: unknown; requiredConsent: readonly string[]; now: number }): Promise<number>
  deleteSegment(id: string): Promise<boolean>
  getSegment(idOrName: string): Promise<SegmentRow | undefined>
  listSegments(): Promise<SegmentRow[]>
  listSegmentVersions(id: string): Promise<SegmentVersionRow[]>
  setBackfillProgress(input: { id: string; version: number; processed: number; total: number; done: boolean }): Promise<void>
  listSegmentMembers(input: { segmentId: string; limit: number; offset: number; afterProfileId: string | undefined }): Promise<SegmentMemberRow[]>
  /** The sample's enteredAt is `now`: when the matches would enter if the definition were saved. */
  previewSegment(input: { condition: Condition; sample: number; now: number }): Promise<{ count: number; sample: SegmentMemberRow[] }>
  listDueSchedule(input: { now: number; limit: number }): Promise<Array<{ segmentId: string; profileId: string; dueAt: number }>>
  /** segment id -> entered at, for one profile. */
  listProfileSegments(profileId: string): Promise<Map<string, number>>
  /** As SegmentTransaction.loadSegmentEvents, outside a transaction (explanations). */
  loadSegmentEvents(input: LoadSegmentEventsInput): Promise<SegmentEvents>
  listChanges(input: { segmentId: string; afterId: number | undefined; limit: number }): Promise<Array<SegmentChange & { id: number; at: number }>>
}

