// A behavioural event as the API shows it: its response schema and the row-to-JSON mapping, shared
// by GET /api/events and the latest events on GET /api/user.
import type { EventRow } from '../../domain/event.ts'

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', enum: ['track', 'page', 'screen'] },
    name: { type: 'string' },
    properties: { type: 'object', additionalProperties: true },
    context: { type: ['object', 'null'], additionalProperties: true },
    timestamp: { type: 'string', format: 'date-time', description: 'when it happened, corrected for the client clock' },
    received_at: { type: 'string', format: 'date-time' },
    message_id: { type: 'string' },
    anonymous_id: { type: ['string', 'null'] },
    user_id: { type: ['string', 'null'] },
  },
} as const

export function eventToJson(e: EventRow) {
  return {
    id: e.id,
    type: e.type,
    name: e.name,
    properties: e.properties,
    context: e.context,
    timestamp: new Date(e.at).toISOString(),
    received_at: new Date(e.receivedAt).toISOString(),
    message_id: e.messageId,
    anonymous_id: e.anonymousId,
    user_id: e.userId,
  }
}
