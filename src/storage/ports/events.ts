// Behavioural events: written by an ingest transaction, read by the events and user routes.
import type { EventRow, NewEvent } from '../../domain/event.ts'

/** The event half of an ingest transaction. */
export interface EventTransaction {
  insertEvents(rows: NewEvent[]): Promise<void>
  /** Points each (non-email) userId, and the "uid:" key of messages that carry only it, at a profile. */
  linkUserIds(rows: Array<{ userId: string; userIdCookie: string; profileId: string; at: number }>): Promise<void>
  /** The user-id guardrail's view: which profile each of these userIds names now, and how many userIds each of these profiles holds. */
  loadUserIdLinks(input: { userIds: string[]; profileIds: string[] }): Promise<{ owners: Map<string, string>; counts: Map<string, number> }>
}

export interface EventReader {
  /** Newest first; `before` is the (at, id) of the last event of the previous page. */
  listEvents(input: { profileId: string; limit: number; before: { at: number; id: number } | undefined; name: string | undefined }): Promise<EventRow[]>
  /** Per event name: how many, and the latest time. */
  countEvents(profileId: string): Promise<Array<{ name: string; count: number; lastAt: number }>>
}
