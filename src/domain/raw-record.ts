// A raw record as the raw store keeps it: the payload exactly as received, with its outcome.
import type { FieldIssue } from './types.ts'

export interface NewRawRecord {
  batchId: string
  receivedAt: number
  source: string
  contentType: string
  recordIndex: number
  payload: string
  contentHash: string
  status: 'accepted' | 'rejected'
  errors: FieldIssue[] | null
  cookie: string | null
  email: string | null
  observedAt: number | null
}

export interface StoredRawRecord extends Omit<NewRawRecord, 'status'> {
  id: number
  /** `superseded`: a corrected copy (the record `supersededBy`) replaced it; replay and rebuild skip it. */
  status: NewRawRecord['status'] | 'superseded'
  supersededBy: number | null
}
