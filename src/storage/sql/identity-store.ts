// Identity resolution's reads and writes inside an ingest transaction: identifiers, logins, merges
// and the profiles they point to.
import { identityKey, type IdentityRow, type ResolveState } from '../../domain/identity.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import type { IdentityTransaction } from '../ports/identity.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { InterestRow, ProfileRows } from './profile-store.ts'
import { rawFromRow } from './raw-store.ts'

// SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535.
const MAX_PARAMS = 30_000

function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMS / columns))
}

export function createIdentityTransaction(trx: Trx, dialect: SqlDialect, profileRows: ProfileRows): IdentityTransaction {
  const { loadProfiles, loadLogins, writeProfiles, writeInterests } = profileRows
  return {
    lockIdentifiers: (keys) => dialect.lockIdentifiers(trx, keys),

    async loadResolveState({ cookies, emails }) {
      const identities = new Map<string, IdentityRow>()
      const lookups: Array<['cookie' | 'email', string[]]> = [
        ['cookie', cookies],
        ['email', emails],
      ]
      for (const [kind, values] of lookups) {
        for (const part of chunks(values, MAX_IN_LIST)) {
          const rows = await trx
            .selectFrom('identities')
            .selectAll()
            .where('kind', '=', kind)
            .where('value', 'in', part)
            .execute()
          for (const row of rows) {
            identities.set(identityKey(kind, row.value), {
              kind,
              value: row.value,
              profileId: row.profile_id,
              firstSeen: Number(row.first_seen),
              lastSeen: Number(row.last_seen),
            })
          }
        }
      }
      const logins = await loadLogins(cookies)
      // Logins name emails outside the batch; their identities are needed to place anonymous records.
      const extraEmails = new Set<string>()
      for (const list of logins.values()) {
        for (const login of list) if (!identities.has(identityKey('email', login.email))) extraEmails.add(login.email)
      }
      for (const part of chunks([...extraEmails], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('identities').selectAll().where('kind', '=', 'email').where('value', 'in', part).execute()
        for (const row of rows) {
          identities.set(identityKey('email', row.value), {
            kind: 'email',
            value: row.value,
            profileId: row.profile_id,
            firstSeen: Number(row.first_seen),
            lastSeen: Number(row.last_seen),
          })
        }
      }
      const profiles = await loadProfiles([...identities.values()].map((row) => row.profileId))
      const state: ResolveState = { identities, logins, profiles }
      return state
    },

    async saveResolution({ profiles, loaded, absorbed, identities, logins, merges, now }) {
      await writeProfiles([...profiles.values()], now)

      const interestRows: InterestRow[] = []
      for (const profile of profiles.values()) {
        const before = loaded.get(profile.id)?.interests
        for (const [interest, seen] of profile.interests) {
          const old = before?.get(interest)
          if (old && old.firstSeen === seen.firstSeen && old.lastSeen === seen.lastSeen && old.source === seen.source) continue
          interestRows.push({ profile_id: profile.id, interest, first_seen: seen.firstSeen, last_seen: seen.lastSeen, source: seen.source })
        }
      }
      await writeInterests(interestRows)

      const absorbedIds = absorbed.map((a) => a.id)
      for (const part of chunks(absorbedIds, MAX_IN_LIST)) {
        await trx.deleteFrom('profile_interests').where('profile_id', 'in', part).execute()
        await trx.deleteFrom('profiles').where('id', 'in', part).execute()
      }
      for (const { id, into } of absorbed) {
        await trx.updateTable('identities').set({ profile_id: into }).where('profile_id', '=', id).execute()
        await trx.updateTable('events').set({ profile_id: into }).where('profile_id', '=', id).execute()
        await trx.updateTable('consent_changes').set({ profile_id: into }).where('profile_id', '=', id).execute()
      }

      const identityRows = identities.map((row) => ({
        kind: row.kind,
        value: row.value,
        profile_id: row.profileId,
        first_seen: row.firstSeen,
        last_seen: row.lastSeen,
      }))
      await dialect.upsertMany(trx, 'identities', identityRows, { conflict: ['kind', 'value'], update: ['profile_id', 'first_seen', 'last_seen'] })

      const loginRows = logins.map((l) => ({ cookie: l.cookie, email: l.email, observed_at: l.at }))
      await dialect.upsertMany(trx, 'logins', loginRows, { conflict: ['cookie', 'observed_at', 'email'], update: [] })

      const mergeRows = merges.map((m) => ({
        survivor_id: m.survivorId,
        absorbed_id: m.absorbedId,
        reason: m.reason,
        identifier_kind: m.identifierKind,
        identifier: m.identifier,
        raw_id: m.rawId,
        created_at: now,
        detail: m.detail ? JSON.stringify(m.detail) : null,
      }))
      for (const part of chunks(mergeRows, rowsPerStatement(8))) {
        await trx.insertInto('merges').values(part).execute()
      }
    },

    async loadPersonEvidence(email) {
      const identity = await trx
        .selectFrom('identities')
        .select('profile_id')
        .where('kind', '=', 'email')
        .where('value', '=', email)
        .executeTakeFirst()
      const profile = identity ? (await loadProfiles([identity.profile_id])).get(identity.profile_id) : undefined
      const cookieRows = await trx.selectFrom('logins').select('cookie').distinct().where('email', '=', email).execute()
      const cookies = cookieRows.map((r) => r.cookie)
      const logins = await loadLogins(cookies)
      const records: StoredRawRecord[] = []
      const withEmail = await trx
        .selectFrom('raw_records')
        .selectAll()
        .where('status', '=', 'accepted')
        .where('email', '=', email)
        .execute()
      for (const row of withEmail) records.push(rawFromRow(row))
      for (const part of chunks(cookies, MAX_IN_LIST)) {
        const anonymous = await trx
          .selectFrom('raw_records')
          .selectAll()
          .where('status', '=', 'accepted')
          .where('email', 'is', null)
          .where('cookie', 'in', part)
          .execute()
        for (const row of anonymous) records.push(rawFromRow(row))
      }
      return { profile, logins, records }
    },

    async replaceProfile(profile) {
      const now = Date.now()
      await writeProfiles([profile], now)
      await trx.deleteFrom('profile_interests').where('profile_id', '=', profile.id).execute()
      await writeInterests(
        [...profile.interests].map(([interest, seen]) => ({
          profile_id: profile.id,
          interest,
          first_seen: seen.firstSeen,
          last_seen: seen.lastSeen,
          source: seen.source,
        })),
      )
    },

    loadProfiles,
  }
}
