// The wire format of a change, shared by the change stream and webhook deliveries.
import { encodeChangeCursor } from './cursor.ts'
import type { ChangeLogEntry } from '../../domain/segment.ts'

export interface ChangeJson {
  /** The change's cursor: pass it as `since` to continue after it. */
  id: string
  change: 'entered' | 'left'
  profile_id: string
  reason: string
  at: string
}

export function changeToJson(change: ChangeLogEntry): ChangeJson {
  return {
    id: encodeChangeCursor(change.id),
    change: change.change,
    profile_id: change.profileId,
    reason: change.reason,
    at: new Date(change.at).toISOString(),
  }
}

export const changeJsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    change: { type: 'string', enum: ['entered', 'left'] },
    profile_id: { type: 'string' },
    reason: { type: 'string' },
    at: { type: 'string' },
  },
  required: ['id', 'change', 'profile_id', 'reason', 'at'],
} as const
