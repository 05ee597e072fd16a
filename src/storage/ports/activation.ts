// What activation (the change stream and webhooks) needs from storage, and nothing more.
// Implemented over SQL by src/storage/sql/activation-store.ts.
import type { ChangeLogEntry } from '../../domain/segment.ts'
import type { Webhook } from '../../domain/webhook.ts'

export interface ActivationStore {
  /** A segment by id, or by name (case-insensitive) as the segment routes accept. */
  findSegment(idOrName: string): Promise<{ id: string; name: string } | undefined>
  /** Changes of one segment with id > afterId, oldest first. */
  listChanges(input: { segmentId: string; afterId: number; limit: number }): Promise<ChangeLogEntry[]>
  /** The id of the segment's newest change, 0 when it has none. */
  latestChangeId(segmentId: string): Promise<number>
  /** Changes with id > afterId, counting no further than `cap` (the count stays cheap however far behind). */
  countChangesAfter(input: { segmentId: string; afterId: number; cap: number }): Promise<number>

  createWebhook(input: { id: string; segmentId: string; url: string; secret: string; deliveredChangeId: number; requiredConsent?: readonly string[]; now: number }): Promise<Webhook>
  /** Live (not deleted) webhooks of a segment, oldest first. */
  listWebhooks(segmentId: string): Promise<Webhook[]>
  /** A live webhook, or undefined when unknown or deleted. */
  findWebhook(webhookId: string): Promise<Webhook | undefined>
  /** Soft-deletes; false when the segment has no such live webhook. */
  deleteWebhook(input: { segmentId: string; webhookId: string; now: number }): Promise<boolean>
  /** Segments that have at least one live webhook. */
  listWebhookSegments(): Promise<string[]>
  /** Live webhooks whose retry time has come and that have changes past their cursor. */
  listDueWebhooks(input: { now: number; limit: number }): Promise<Webhook[]>
  /** Advances the cursor (never backwards) and clears the failure state. */
  recordDeliverySuccess(input: { webhookId: string; deliveredChangeId: number; now: number }): Promise<void>
  /** Of these profiles, those that have not granted every one of `purposes` now (deleted profiles included). */
  profilesLackingConsent(input: { profileIds: readonly string[]; purposes: readonly string[] }): Promise<Set<string>>
  recordDeliveryFailure(input: { webhookId: string; attempts: number; nextAttemptAt: number; error: string }): Promise<void>
}
