// Schema migrations, run on start. One schema for SQLite and PostgreSQL; the few type differences
// (auto-increment ids, 64-bit integers, floats, clustered tables) come from the dialect's `schema`.
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely'
import { parseMoney } from '../../domain/text-compare.ts'
import type { Database } from './schema.ts'
import type { SqlDialect } from './dialect/dialect.ts'

function migrationsFor(dialect: SqlDialect): Record<string, Migration> {
  const { bigint, double, idType, clustered } = dialect.schema
  return {
    '0001_core': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('raw_records')
          .addColumn('id', idType, (c) => dialect.schema.idColumn(c))
          .addColumn('batch_id', 'text', (c) => c.notNull())
          .addColumn('received_at', bigint, (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('record_index', 'integer', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('content_hash', 'text', (c) => c.notNull().unique())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('errors', 'text')
          .addColumn('cookie', 'text')
          .addColumn('email', 'text')
          .addColumn('observed_at', bigint)
          .execute()
        // Partial indexes: each serves one query and costs nothing for the rows it leaves out.
        // Rejected records, listed for review and replay.
        await db.schema.createIndex('raw_records_rejected').on('raw_records').column('id').where(sql.ref('status'), '=', 'rejected').execute()
        // A person's rebuild reads their own records by email and their cookies' anonymous records.
        await db.schema.createIndex('raw_records_email').on('raw_records').column('email').where(sql.ref('email'), 'is not', null).execute()
        await db.schema.createIndex('raw_records_anonymous_cookie').on('raw_records').column('cookie').where(sql.ref('email'), 'is', null).execute()

        await db.schema
          .createTable('profiles')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.unique())
          .addColumn('phone', 'text')
          .addColumn('phone_raw', 'text')
          .addColumn('city', 'text')
          .addColumn('state', 'text')
          .addColumn('country', 'text')
          .addColumn('country_code', 'text')
          .addColumn('age', 'integer')
          .addColumn('gender', 'text')
          .addColumn('income', 'text')
          .addColumn('education', 'text')
          .addColumn('traits', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('field_times', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('first_seen', bigint, (c) => c.notNull())
          .addColumn('last_seen', bigint, (c) => c.notNull())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute()

        await db.schema
          .createTable('identities')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('first_seen', bigint, (c) => c.notNull())
          .addColumn('last_seen', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('identities_pk', ['kind', 'value'])
          .modifyEnd(clustered)
          .execute()
        await db.schema.createIndex('identities_profile').on('identities').columns(['profile_id', 'kind']).execute()

        await db.schema
          .createTable('logins')
          .addColumn('cookie', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('observed_at', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('logins_pk', ['cookie', 'observed_at', 'email'])
          .modifyEnd(clustered)
          .execute()
        await db.schema.createIndex('logins_email').on('logins').column('email').execute()

        await db.schema
          .createTable('profile_interests')
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('interest', 'text', (c) => c.notNull())
          .addColumn('first_seen', bigint, (c) => c.notNull())
          .addColumn('last_seen', bigint, (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('profile_interests_pk', ['profile_id', 'interest'])
          .modifyEnd(clustered)
          .execute()

        await db.schema
          .createTable('merges')
          .addColumn('id', idType, (c) => dialect.schema.idColumn(c))
          .addColumn('survivor_id', 'text', (c) => c.notNull())
          .addColumn('absorbed_id', 'text')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('identifier_kind', 'text', (c) => c.notNull())
          .addColumn('identifier', 'text', (c) => c.notNull())
          .addColumn('raw_id', bigint)
          .addColumn('created_at', bigint, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('merges_survivor').on('merges').column('survivor_id').execute()
        await db.schema.createIndex('merges_absorbed').on('merges').column('absorbed_id').execute()

        await db.schema
          .createTable('cohorts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('name_key', 'text', (c) => c.notNull().unique())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('terms', 'text', (c) => c.notNull())
          .addColumn('members', bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', bigint, (c) => c.notNull())
          .execute()

        await db.schema
          .createTable('cohort_memberships')
          .addColumn('cohort_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('score', double, (c) => c.notNull())
          .addColumn('assigned_at', bigint, (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('cohort_memberships_pk', ['cohort_id', 'profile_id'])
          .modifyEnd(clustered)
          .execute()
        await db.schema.createIndex('cohort_memberships_profile').on('cohort_memberships').column('profile_id').execute()

        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('revoked_at', bigint)
          .execute()
      },
    },
    '0002_custom_cohorts': {
      async up(db: Kysely<unknown>) {
        // Seeds (terms and example entities) of an admin-defined cohort; null for the model's own.
        await db.schema.alterTable('cohorts').addColumn('seeds', 'text').execute()
        // An admin's answer for one interest text: an override at once, training data for the next model.
        await db.schema
          .createTable('cohort_corrections')
          .addColumn('text_key', 'text', (c) => c.primaryKey())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('cohort_ids', 'text', (c) => c.notNull())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .execute()
      },
    },
    '0003_segments': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('segments')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('name_key', 'text', (c) => c.notNull().unique())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('definition', 'text', (c) => c.notNull()) // JSON condition of the current version
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('members', bigint, (c) => c.notNull().defaultTo(0))
          // Backfill of the current version: 'backfilling' until every profile was evaluated once.
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('backfill_processed', bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('backfill_total', bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute()

        // Every version of every definition, kept.
        await db.schema
          .createTable('segment_versions')
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('definition', 'text', (c) => c.notNull())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('segment_versions_pk', ['segment_id', 'version'])
          .execute()

        await db.schema
          .createTable('segment_memberships')
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('entered_at', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('segment_memberships_pk', ['segment_id', 'profile_id'])
          .modifyEnd(clustered)
          .execute()
        await db.schema.createIndex('segment_memberships_profile').on('segment_memberships').column('profile_id').execute()

        // The change log: every entry and exit, in commit order per segment. Streams and webhooks read it.
        await db.schema
          .createTable('segment_changes')
          .addColumn('id', idType, (c) => dialect.schema.idColumn(c))
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('change', 'text', (c) => c.notNull()) // 'entered' | 'left'
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('at', bigint, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('segment_changes_segment').on('segment_changes').columns(['segment_id', 'id']).execute()

        // When a time-relative condition may flip for a profile: the scheduler re-evaluates it then.
        await db.schema
          .createTable('segment_schedule')
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('due_at', bigint, (c) => c.notNull())
          // Keyed by profile first: every batch reads the schedule of its profiles.
          .addPrimaryKeyConstraint('segment_schedule_pk', ['profile_id', 'segment_id'])
          .execute()
        await db.schema.createIndex('segment_schedule_due').on('segment_schedule').column('due_at').execute()

        // Webhooks: the change log is their outbox; each webhook keeps the id of the last change its
        // endpoint acknowledged, so a restart resumes where delivery stopped and nothing is lost.
        await db.schema
          .createTable('webhooks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('delivered_change_id', bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .addColumn('last_delivered_at', bigint)
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('deleted_at', bigint)
          .execute()
        await db.schema.createIndex('webhooks_segment').on('webhooks').column('segment_id').execute()
      },
    },
    '0004_income_amount': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('profiles').addColumn('income_amount', double).execute()
        // Existing incomes, read and written back in pages: the parsing is JavaScript (parseMoney).
        const typed = db as unknown as Kysely<Database>
        let after = ''
        for (;;) {
          const rows = await typed.selectFrom('profiles').select(['id', 'income']).where('id', '>', after).where('income', 'is not', null).orderBy('id').limit(5000).execute()
          if (rows.length === 0) break
          for (const row of rows) {
            const amount = row.income === null ? null : parseMoney(row.income)
            if (amount !== null) await typed.updateTable('profiles').set({ income_amount: amount }).where('id', '=', row.id).execute()
          }
          after = rows[rows.length - 1]?.id ?? after
        }
      },
    },
    '0006_raw_superseded_by': {
      async up(db: Kysely<unknown>) {
        // A rejected record corrected by `cdp replay --map/--patch` is marked superseded and points at
        // the corrected copy, a raw record of its own; its payload stays as received.
        await db.schema.alterTable('raw_records').addColumn('superseded_by', bigint).execute()
      },
    },
    '0005_events': {
      async up(db: Kysely<unknown>) {
        // Behavioural events (track, page, screen), structured. The message as received is in
        // raw_records; its content hash is derived from the messageId, so the raw store's unique
        // index is the durable, exact de-duplication the Segment spec asks for.
        await db.schema
          .createTable('events')
          .addColumn('id', idType, (c) => dialect.schema.idColumn(c))
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull()) // track | page | screen
          .addColumn('name', 'text', (c) => c.notNull()) // the track event's name; "Page Viewed" / "Screen Viewed"
          .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('context', 'text')
          .addColumn('at', bigint, (c) => c.notNull()) // the event's own time, corrected for client clock skew
          .addColumn('received_at', bigint, (c) => c.notNull())
          .addColumn('message_id', 'text', (c) => c.notNull())
          .addColumn('raw_id', bigint)
          .addColumn('anonymous_id', 'text')
          .addColumn('user_id', 'text')
          .execute()
        // Per-profile windows ("3 Product Viewed in 7 days"), counts per name, and a profile's timeline
        // (its events sorted by time: one profile's worth). One index, not two: every index is a
        // random-page write per event, and those page writes are most of what ingest costs.
        await db.schema.createIndex('events_profile_name_at').on('events').columns(['profile_id', 'name', 'at']).execute()
      },
    },
    '0007_privacy': {
      async up(db: Kysely<unknown>) {
        // Consent per purpose, latest statement wins (pipeline/identity/merge.ts); the history of
        // every statement is consent_changes.
        await db.schema.alterTable('profiles').addColumn('consent', 'text', (c) => c.notNull().defaultTo('{}')).execute()
        await db.schema.alterTable('merges').addColumn('detail', 'text').execute()
        await db.schema
          .createTable('consent_changes')
          .addColumn('id', idType, (c) => dialect.schema.idColumn(c))
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('granted', 'integer', (c) => c.notNull())
          .addColumn('at', bigint, (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('raw_id', bigint)
          .execute()
        await db.schema.createIndex('consent_changes_profile').on('consent_changes').columns(['profile_id', 'at']).execute()
        // Links resolution must not make again (an unmerge): read per cookie in every batch.
        await db.schema
          .createTable('refused_links')
          .addColumn('cookie', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('merge_id', bigint)
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addPrimaryKeyConstraint('refused_links_pk', ['cookie', 'email'])
          .execute()
        await db.schema
          .createTable('privacy_jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('requested_by', 'text')
          .addColumn('requested_at', bigint, (c) => c.notNull())
          .addColumn('identifiers_hash', 'text', (c) => c.notNull())
          .addColumn('identifier_count', 'integer', (c) => c.notNull())
          .addColumn('suppress', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('counts', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('error', 'text')
          .addColumn('finished_at', bigint)
          .execute()
        await db.schema
          .createTable('suppressions')
          .addColumn('hash', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('job_id', 'text')
          .execute()
        await db.schema.createTable('settings').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('value', 'text', (c) => c.notNull()).execute()
        // Erasure and the access export find a person's events' raw records and delete by raw id.
        await db.schema.createIndex('events_raw').on('events').column('raw_id').execute()
      },
    },
    '0008_privacy_jobs': {
      async up(db: Kysely<unknown>) {
        // An erasure job's identifiers while it runs, so a restart resumes it; deleted when it ends.
        await db.schema
          .createTable('privacy_job_identifiers')
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('privacy_job_identifiers_pk', ['job_id', 'kind', 'value'])
          .execute()
        // Erasure deletes a person's change rows (their pending webhook payloads) and searches
        // superseded rows as it does rejected ones.
        await db.schema.createIndex('segment_changes_profile').on('segment_changes').column('profile_id').execute()
        await db.schema.createIndex('raw_records_superseded').on('raw_records').column('id').where(sql.ref('status'), '=', 'superseded').execute()
      },
    },
    '0009_consent': {
      async up(db: Kysely<unknown>) {
        // Purposes a segment's members must have granted (part of each version), and purposes a
        // webhook's entries need at send time: JSON arrays, [] for none.
        await db.schema.alterTable('segments').addColumn('required_consent', 'text', (c) => c.notNull().defaultTo('[]')).execute()
        await db.schema.alterTable('segment_versions').addColumn('required_consent', 'text', (c) => c.notNull().defaultTo('[]')).execute()
        await db.schema.alterTable('webhooks').addColumn('required_consent', 'text', (c) => c.notNull().defaultTo('[]')).execute()
      },
    },
    '0011_erasure_merge_history': {
      async up(db: Kysely<unknown>) {
        // A merge-log row can be two people's history (a shared cookie moving between them, an
        // unmerge that split them): erasing one keeps the row for the other, with the erased
        // person's profile id and identifier cleared (docs/privacy.md, Erasure).
        await dialect.schema.dropNotNull(db, 'merges', ['survivor_id', 'identifier'])
      },
    },
    '0012_likely_matches': {
      async up(db: Kysely<unknown>) {
        // Likely matches (issue #20): a cookie seen on an IP and user agent, once per slot. Keyed by
        // address first, as the links are found per address; by cookie for erasure and the export.
        await db.schema
          .createTable('device_sightings')
          .addColumn('ip', 'text', (c) => c.notNull())
          .addColumn('user_agent', 'text', (c) => c.notNull())
          .addColumn('slot', bigint, (c) => c.notNull())
          .addColumn('cookie', 'text', (c) => c.notNull())
          .addColumn('at', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('device_sightings_pk', ['ip', 'user_agent', 'slot', 'cookie'])
          .modifyEnd(clustered)
          .execute()
        await db.schema.createIndex('device_sightings_cookie').on('device_sightings').column('cookie').execute()
      },
    },
  }
}

export async function migrate(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) }
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error })
  }
}
