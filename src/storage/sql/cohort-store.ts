// Interest cohorts: the catalogue, corrections and members, and the memberships an ingest
// transaction recomputes (counts kept in the same transaction).
import type { CohortRow, Membership } from '../../domain/cohort.ts'
import { AppError } from '../../errors.ts'
import type { CohortStore, MembershipTransaction } from '../ports/cohorts.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST, precompileMemberPage } from './members.ts'
import { precompile } from './precompile.ts'
import type { SqlDatabase } from './open.ts'
import type { Database } from './schema.ts'

export function createMembershipTransaction(trx: Trx, dialect: SqlDialect): MembershipTransaction {
  return {
    async loadMemberships(profileIds) {
      const byProfile = new Map<string, Membership[]>()
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('cohort_memberships').selectAll().where('profile_id', 'in', part).execute()
        for (const row of rows) {
          const list = byProfile.get(row.profile_id) ?? []
          list.push({ cohortId: row.cohort_id, score: Number(row.score), assignedAt: Number(row.assigned_at), reason: row.reason })
          byProfile.set(row.profile_id, list)
        }
      }
      return byProfile
    },

    async saveMemberships({ upserts, deletes, countDeltas }) {
      const rows = upserts.map((m) => ({
        cohort_id: m.cohortId,
        profile_id: m.profileId,
        score: m.score,
        assigned_at: m.assignedAt,
        reason: m.reason,
      }))
      await dialect.upsertMany(trx, 'cohort_memberships', rows, { conflict: ['cohort_id', 'profile_id'], update: ['score', 'reason'] })
      const byCohort = new Map<string, string[]>()
      for (const d of deletes) byCohort.set(d.cohortId, [...(byCohort.get(d.cohortId) ?? []), d.profileId])
      for (const [cohortId, profileIds] of byCohort) {
        for (const part of chunks(profileIds, MAX_IN_LIST)) {
          await trx.deleteFrom('cohort_memberships').where('cohort_id', '=', cohortId).where('profile_id', 'in', part).execute()
        }
      }
      const sorted = [...countDeltas].filter(([, delta]) => delta !== 0).sort(([a], [b]) => (a < b ? -1 : 1))
      await dialect.addMembers(trx, 'cohorts', sorted)
    },
  }
}

export function createCohortStore(database: SqlDatabase): CohortStore {
  const { db, reader, dialect } = database
  // Read by every member page: compiled once.
  const memberPage = precompileMemberPage(database, dialect, 'cohort_memberships', 'cohort_id', ['score', 'assigned_at'] as const)
  const cohortByKey = precompile(database, (p) =>
    reader
      .selectFrom('cohorts')
      .selectAll()
      .where((eb) => eb.or([eb('name_key', '=', p('key')), eb('id', '=', p('key'))])),
  )
  return {
    async upsertCohorts(cohorts) {
      const now = Date.now()
      for (const cohort of cohorts) {
        await db
          .insertInto('cohorts')
          .values({
            id: cohort.id,
            name: cohort.name,
            name_key: cohort.name.toLowerCase(),
            description: cohort.description,
            terms: JSON.stringify(cohort.terms),
            members: 0,
            created_at: now,
          })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              name_key: eb.ref('excluded.name_key'),
              description: eb.ref('excluded.description'),
              terms: eb.ref('excluded.terms'),
            })),
          )
          .execute()
      }
    },

    async listCohorts() {
      const rows = await reader.selectFrom('cohorts').selectAll().orderBy('name').execute()
      return rows.map(cohortFromRow)
    },

    async findCohort(nameOrId) {
      const key = nameOrId.trim().toLowerCase()
      const [row] = await cohortByKey({ key })
      return row ? cohortFromRow(row) : undefined
    },

    async listCohortMembers({ cohortId, limit, offset, afterProfileId }) {
      const rows = await memberPage({ audienceId: cohortId, afterProfileId, limit, offset })
      return rows.map((m) => ({ profileId: m.profile_id, cookie: m.cookie, email: m.email, score: Number(m.score), assignedAt: Number(m.assigned_at) }))
    },

    async createCustomCohort({ id, name, description, terms, seeds, now }) {
      const nameKey = name.toLowerCase()
      const taken = await db.selectFrom('cohorts').select('id').where((eb) => eb.or([eb('name_key', '=', nameKey), eb('id', '=', id)])).executeTakeFirst()
      if (taken) throw new AppError('conflict', `a cohort named "${name}" already exists (${taken.id}): choose another name`)
      await db
        .insertInto('cohorts')
        .values({ id, name, name_key: nameKey, description, terms: JSON.stringify(terms), seeds: JSON.stringify(seeds), members: 0, created_at: now })
        .execute()
    },

    async saveCorrection({ text, textKey, cohortIds, now }) {
      await db
        .insertInto('cohort_corrections')
        .values({ text_key: textKey, text, cohort_ids: JSON.stringify(cohortIds), created_at: now })
        .onConflict((oc) => oc.column('text_key').doUpdateSet((eb) => ({ text: eb.ref('excluded.text'), cohort_ids: eb.ref('excluded.cohort_ids'), created_at: eb.ref('excluded.created_at') })))
        .execute()
    },

    async listCorrections() {
      const rows = await reader.selectFrom('cohort_corrections').selectAll().orderBy('text_key').execute()
      return rows.map((r) => ({ text: r.text, textKey: r.text_key, cohortIds: JSON.parse(r.cohort_ids) as string[], createdAt: Number(r.created_at) }))
    },
  }
}

function cohortFromRow(row: Database['cohorts']): CohortRow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    terms: JSON.parse(row.terms) as string[],
    members: Number(row.members),
    seeds: row.seeds === null ? null : (JSON.parse(row.seeds) as string[]),
  }
}
