// Events and userId links of accepted messages, once each message's profile is known.
import { USER_ID_COOKIE_PREFIX } from '../../collect/segment-spec.ts'
import type { MergeLogEntry } from '../../domain/identity.ts'
import type { EventTransaction } from '../../storage/ports/events.ts'
import type { IdentityTransaction } from '../../storage/ports/identity.ts'
import type { MessagePart } from '../records.ts'

type UserLink = Parameters<EventTransaction['linkUserIds']>[0][number]

export function createSaveEventsStage(deps: { maxUserIdsPerPerson?: number } = {}) {
  const maxUserIds = deps.maxUserIdsPerPerson ?? Number.POSITIVE_INFINITY

  /**
   * The user-id guardrail: a person holds at most `maxUserIds` userIds. A link that would give them
   * one more is not made (the event is still theirs) and is logged as refused. Links to the profile a
   * userId already names always stand.
   */
  async function withinLimit(tx: EventTransaction & Pick<IdentityTransaction, 'insertMerges'>, users: UserLink[], rawIds: number[], now: number): Promise<UserLink[]> {
    if (users.length === 0 || maxUserIds === Number.POSITIVE_INFINITY) return users
    const { owners, counts } = await tx.loadUserIdLinks({ userIds: [...new Set(users.map((u) => u.userId))], profileIds: [...new Set(users.map((u) => u.profileId))] })
    const kept: UserLink[] = []
    const refused: MergeLogEntry[] = []
    users.forEach((u, i) => {
      const owner = owners.get(u.userId)
      if (owner === u.profileId) return kept.push(u)
      const held = counts.get(u.profileId) ?? 0
      if (held >= maxUserIds) {
        refused.push({ survivorId: u.profileId, absorbedId: null, reason: 'refused', identifierKind: 'user', identifier: u.userId, rawId: rawIds[i] ?? null, detail: { rule: 'user_id_limit', limit: maxUserIds } })
        return
      }
      counts.set(u.profileId, held + 1)
      if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 1) - 1)
      owners.set(u.userId, u.profileId)
      kept.push(u)
    })
    if (refused.length > 0) await tx.insertMerges(refused, now)
    return kept
  }

  return async function saveEvents(tx: EventTransaction & Pick<IdentityTransaction, 'insertMerges'>, messages: ReadonlyMap<number, MessagePart>, resolvedTo: ReadonlyMap<number, string>, now = Date.now()): Promise<void> {
    if (messages.size === 0) return
    const events: Parameters<EventTransaction['insertEvents']>[0] = []
    const users: UserLink[] = []
    const userRawIds: number[] = []
    for (const [rawId, m] of messages) {
      const profileId = resolvedTo.get(rawId)
      if (!profileId) continue
      if (m.event) {
        events.push({ profileId, ...m.event, at: m.at, receivedAt: m.receivedAt, messageId: m.messageId, rawId, anonymousId: m.anonymousId, userId: m.userId })
      }
      if (m.userId) {
        users.push({ userId: m.userId, userIdCookie: `${USER_ID_COOKIE_PREFIX}${m.userId}`, profileId, at: m.at })
        userRawIds.push(rawId)
      }
    }
    await tx.insertEvents(events)
    await tx.linkUserIds(await withinLimit(tx, users, userRawIds, now))
  }
}
