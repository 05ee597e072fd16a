// Events of accepted messages, once each message's profile is known. (Their userIds are linked
// with the record's other identifiers: identity/link-stage.ts.)
import type { EventTransaction } from '../../storage/ports/events.ts'
import type { MessagePart } from '../records.ts'

export function createSaveEventsStage() {
  return async function saveEvents(tx: Pick<EventTransaction, 'insertEvents'>, messages: ReadonlyMap<number, MessagePart>, resolvedTo: ReadonlyMap<number, string>): Promise<void> {
    if (messages.size === 0) return
    const events: Parameters<EventTransaction['insertEvents']>[0] = []
    for (const [rawId, m] of messages) {
      const profileId = resolvedTo.get(rawId)
      if (!profileId) continue
      if (m.event) {
        events.push({ profileId, ...m.event, at: m.at, receivedAt: m.receivedAt, messageId: m.messageId, rawId, anonymousId: m.anonymousId, userId: m.userId })
      }
    }
    await tx.insertEvents(events)
  }
}
