// Events and userId links of accepted messages, once each message's profile is known.
import { USER_ID_COOKIE_PREFIX } from '../../collect/segment-spec.ts'
import type { EventTransaction } from '../../storage/ports/events.ts'
import type { MessagePart } from '../records.ts'

export function createSaveEventsStage() {
  return async function saveEvents(tx: EventTransaction, messages: ReadonlyMap<number, MessagePart>, resolvedTo: ReadonlyMap<number, string>): Promise<void> {
    if (messages.size === 0) return
    const events: Parameters<EventTransaction['insertEvents']>[0] = []
    const users: Parameters<EventTransaction['linkUserIds']>[0] = []
    for (const [rawId, m] of messages) {
      const profileId = resolvedTo.get(rawId)
      if (!profileId) continue
      if (m.event) {
        events.push({ profileId, ...m.event, at: m.at, receivedAt: m.receivedAt, messageId: m.messageId, rawId, anonymousId: m.anonymousId, userId: m.userId })
      }
      if (m.userId) users.push({ userId: m.userId, userIdCookie: `${USER_ID_COOKIE_PREFIX}${m.userId}`, profileId, at: m.at })
    }
    await tx.insertEvents(events)
    await tx.linkUserIds(users)
  }
}
