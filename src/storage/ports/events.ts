// Behavioural events: written by an ingest transaction, read by the events and user routes.
import type { EventRow, NewEvent } from '../../domain/event.ts'

/** The event half of an ingest transaction. */
export interface EventTransaction {
  insertEvents(rows: NewEvent[]): Promise<void>
  /**
   * Points each linked identifier (user_id, phone, device_id, declared kinds) at a profile; a
   * user_id also points the "uid:" key of messages that carry only it. Kinds as the API names them.
   */
  linkIdentifiers(rows: ReadonlyArray<{ kind: string; value: string; profileId: string; at: number }>): Promise<void>
  /**
   * The limits' view: the profile each of these identifiers names now, and every linked identifier
   * these profiles hold, with its first-seen time (windows count by it).
   */
  loadIdentifierLinks(input: { keys: ReadonlyArray<{ kind: string; value: string }>; profileIds: string[] }): Promise<{
    owners: Map<string, string>
    held: Map<string, Array<{ kind: string; value: string; firstSeen: number }>>
  }>
}

export interface EventReader {
  /** Newest first; `before` is the (at, id) of the last event of the previous page. */
  listEvents(input: { profileId: string; limit: number; before: { at: number; id: number } | undefined; name: string | undefined }): Promise<EventRow[]>
  /** Per event name: how many, and the latest time. */
  countEvents(profileId: string): Promise<Array<{ name: string; count: number; lastAt: number }>>
}
