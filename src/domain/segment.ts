// Business segments as stored: definitions and their versions, members, membership changes.

export interface SegmentRow {
  id: string
  name: string
  description: string
  /** The JSON condition of the current version, as the admin wrote it. */
  definition: unknown
  /** Purposes every member must have granted: an implicit AND with the definition (engine.ts). */
  requiredConsent: readonly string[]
  version: number
  members: number
  state: 'backfilling' | 'ready'
  backfillProcessed: number
  backfillTotal: number
  createdAt: number
  updatedAt: number
}

export interface SegmentVersionRow {
  version: number
  name: string
  description: string
  definition: unknown
  requiredConsent: readonly string[]
  createdAt: number
}

export interface SegmentChange {
  segmentId: string
  profileId: string
  change: 'entered' | 'left'
  reason: string
}

export interface SegmentMemberRow {
  profileId: string
  cookie: string | null
  email: string | null
  enteredAt: number
}

/** One entry of the segment change log, as streams and webhooks read it. */
export interface ChangeLogEntry {
  /** Position in the change log: increases with commit order, unique across all segments. */
  id: number
  segmentId: string
  profileId: string
  change: 'entered' | 'left'
  reason: string
  at: number
}
