// Activation storage over Kysely: the segment change log as read by streams and webhooks, and the
// webhooks' delivery state. Reads go through `reader`, writes through `db`, as in sql-store.ts.
import { type Selectable, sql } from 'kysely'
import type { ChangeLogEntry } from '../../domain/segment.ts'
import type { Webhook } from '../../domain/webhook.ts'
import type { ActivationStore } from '../ports/activation.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { SqlDatabase } from './open.ts'
import type { SegmentChangesTable, WebhooksTable } from './schema.ts'

// PostgreSQL returns BIGINT columns as numbers through the parser in open.ts; Number() keeps this
// module correct even where a driver hands back strings or bigints.
function changeFromRow(row: Selectable<SegmentChangesTable>): ChangeLogEntry {
  return {
    id: Number(row.id),
    segmentId: row.segment_id,
    profileId: row.profile_id,
    change: row.change,
    reason: row.reason,
    at: Number(row.at),
  }
}

function webhookFromRow(row: Selectable<WebhooksTable>): Webhook {
  return {
    id: row.id,
    segmentId: row.segment_id,
    url: row.url,
    secret: row.secret,
    deliveredChangeId: Number(row.delivered_change_id),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
    lastDeliveredAt: row.last_delivered_at === null ? null : Number(row.last_delivered_at),
    requiredConsent: JSON.parse(row.required_consent) as string[],
    createdAt: Number(row.created_at),
  }
}

export function createActivationStore(database: SqlDatabase): ActivationStore {
  const { db, reader } = database
  return {
    async findSegment(idOrName) {
      // As the segment routes do: the id, or the name in any case.
      const text = idOrName.trim()
      return await reader
        .selectFrom('segments')
        .select(['id', 'name'])
        .where((eb) => eb.or([eb('id', '=', text), eb('name_key', '=', text.toLowerCase())]))
        .executeTakeFirst()
    },

    async listChanges({ segmentId, afterId, limit }) {
      const rows = await reader
        .selectFrom('segment_changes')
        .selectAll()
        .where('segment_id', '=', segmentId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(changeFromRow)
    },

    async latestChangeId(segmentId) {
      const row = await reader
        .selectFrom('segment_changes')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('segment_id', '=', segmentId)
        .executeTakeFirst()
      return row?.id === null || row?.id === undefined ? 0 : Number(row.id)
    },

    async countChangesAfter({ segmentId, afterId, cap }) {
      // Counting a LIMITed subquery stops at `cap` rows instead of walking a long backlog.
      const pending = reader
        .selectFrom('segment_changes')
        .select('id')
        .where('segment_id', '=', segmentId)
        .where('id', '>', afterId)
        .limit(cap)
        .as('pending')
      const row = await reader.selectFrom(pending).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async createWebhook({ id, segmentId, url, secret, deliveredChangeId, requiredConsent = [], now }) {
      const row = {
        id,
        segment_id: segmentId,
        url,
        secret,
        delivered_change_id: deliveredChangeId,
        attempts: 0,
        next_attempt_at: 0,
        last_error: null,
        last_delivered_at: null,
        created_at: now,
        deleted_at: null,
        required_consent: JSON.stringify(requiredConsent),
      }
      await db.insertInto('webhooks').values(row).execute()
      return webhookFromRow(row)
    },

    async listWebhooks(segmentId) {
      const rows = await reader
        .selectFrom('webhooks')
        .selectAll()
        .where('segment_id', '=', segmentId)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(webhookFromRow)
    },

    async findWebhook(webhookId) {
      const row = await reader.selectFrom('webhooks').selectAll().where('id', '=', webhookId).where('deleted_at', 'is', null).executeTakeFirst()
      return row ? webhookFromRow(row) : undefined
    },

    async deleteWebhook({ segmentId, webhookId, now }) {
      const result = await db
        .updateTable('webhooks')
        .set({ deleted_at: now })
        .where('id', '=', webhookId)
        .where('segment_id', '=', segmentId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async listWebhookSegments() {
      const rows = await reader.selectFrom('webhooks').select('segment_id').distinct().where('deleted_at', 'is', null).execute()
      return rows.map((r) => r.segment_id)
    },

    async listDueWebhooks({ now, limit }) {
      const rows = await reader
        .selectFrom('webhooks')
        .selectAll()
        .where('deleted_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('segment_changes')
              .select(sql<number>`1`.as('one'))
              .whereRef('segment_changes.segment_id', '=', 'webhooks.segment_id')
              .whereRef('segment_changes.id', '>', 'webhooks.delivered_change_id'),
          ),
        )
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute()
      return rows.map(webhookFromRow)
    },

    async recordDeliverySuccess({ webhookId, deliveredChangeId, now }) {
      // The guard keeps the cursor monotonic when two processes deliver the same webhook.
      await db
        .updateTable('webhooks')
        .set({ delivered_change_id: deliveredChangeId, attempts: 0, next_attempt_at: 0, last_error: null, last_delivered_at: now })
        .where('id', '=', webhookId)
        .where('delivered_change_id', '<', deliveredChangeId)
        .execute()
    },

    async profilesLackingConsent({ profileIds, purposes }) {
      // A profile that no longer exists (erased, merged away) has granted nothing.
      const lacking = new Set(profileIds)
      for (const part of chunks([...lacking], MAX_IN_LIST)) {
        const rows = await reader.selectFrom('profiles').select(['id', 'consent']).where('id', 'in', part).execute()
        for (const row of rows) {
          const consent = JSON.parse(row.consent) as Record<string, { granted?: unknown }>
          if (purposes.every((p) => Object.hasOwn(consent, p) && consent[p]?.granted === true)) lacking.delete(row.id)
        }
      }
      return lacking
    },

    async recordDeliveryFailure({ webhookId, attempts, nextAttemptAt, error }) {
      await db
        .updateTable('webhooks')
        .set({ attempts, next_attempt_at: nextAttemptAt, last_error: error })
        .where('id', '=', webhookId)
        .execute()
    },
  }
}
