// Identity resolution's reads and writes inside an ingest transaction: identifiers, logins, merges
// and the profiles they point to.
import { identityKey, type IdentityRow, type MergeLogEntry, refusedLinkKey, type ResolveState, SHARED_DEVICE_PREFIX, USER_ID_COOKIE_PREFIX } from '../../domain/identity.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import type { IdentityTransaction } from '../ports/identity.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import { type InterestRow, mergeFromRow, type ProfileRows } from './profile-store.ts'
import { rawFromRow } from './raw-store.ts'
import { profileToRow } from './rows.ts'
import type { ProfileState } from '../../domain/profile.ts'

// SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535.
const MAX_PARAMS = 30_000

function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMS / columns))
}

/** A merge-log entry as its row. */
function mergeToRow(m: MergeLogEntry, now: number) {
  return {
    survivor_id: m.survivorId,
    absorbed_id: m.absorbedId,
    reason: m.reason,
    identifier_kind: m.identifierKind,
    identifier: m.identifier,
    raw_id: m.rawId,
    created_at: now,
    detail: m.detail ? JSON.stringify(m.detail) : null,
  }
}

/** Whether writing `profile` would store what `before` already holds (updated_at aside). */
function sameProfileRow(profile: ProfileState, before: ProfileState | undefined): boolean {
  if (before === undefined) return false
  const a = profileToRow(profile, 0) as unknown as Record<string, unknown>
  const b = profileToRow(before, 0) as unknown as Record<string, unknown>
  for (const key of Object.keys(a)) if (a[key] !== b[key]) return false
  return Object.keys(a).length === Object.keys(b).length
}

export function createIdentityTransaction(trx: Trx, dialect: SqlDialect, profileRows: ProfileRows): IdentityTransaction {
  const { loadProfiles, loadLogins, writeProfiles, writeInterests } = profileRows
  /** Identity key -> the profile it pointed at when loadResolveState read it. */
  const loadedOwner = new Map<string, string>()
  return {
    lockIdentifiers: (keys) => dialect.lockIdentifiers(trx, keys),

    async loadResolveState({ cookies, emails, links = [] }) {
      const identities = new Map<string, IdentityRow>()
      const loadIdentities = async (kind: 'cookie' | 'email', values: readonly string[]) => {
        for (const part of chunks([...values], MAX_IN_LIST)) {
          const rows = await trx.selectFrom('identities').selectAll().where('kind', '=', kind).where('value', 'in', part).execute()
          for (const row of rows) {
            loadedOwner.set(identityKey(kind, row.value), row.profile_id)
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
      await loadIdentities('cookie', cookies)
      await loadIdentities('email', emails)
      const logins = await loadLogins(cookies)
      // A shared device's anonymous profile is keyed by "shared:<cookie>" (resolve-batch.ts rule 6);
      // only a cookie with logins of two emails or more can be one, so most batches look up none.
      const multiEmail = [...logins].filter(([, list]) => new Set(list.map((l) => l.email)).size > 1).map(([cookie]) => SHARED_DEVICE_PREFIX + cookie)
      await loadIdentities('cookie', multiEmail)
      // Logins name emails outside the batch; their identities are needed to place anonymous records.
      const extraEmails = new Set<string>()
      for (const list of logins.values()) {
        for (const login of list) if (!identities.has(identityKey('email', login.email))) extraEmails.add(login.email)
      }
      await loadIdentities('email', [...extraEmails])
      const profiles = await loadProfiles([...identities.values()].map((row) => row.profileId))
      const refused = new Set<string>()
      for (const part of chunks(links.length > 0 ? cookies : [], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('refused_links').select(['cookie', 'email']).where('cookie', 'in', part).execute()
        for (const row of rows) refused.add(refusedLinkKey(row.cookie, row.email))
      }
      // The cookie guardrail needs a cookie count for the people a login of the batch could give a
      // cookie (the email's person, and the cookie's present one it may absorb or lose it from): one
      // grouped read over the identities(profile_id, kind) index, and none for a batch of new people
      // or of anonymous events. "uid:" keys stand for a userId and "shared:" keys for a shared
      // device's anonymous profile, neither for a device of the person.
      const counted = new Set<string>()
      for (const { cookie, email } of links) {
        const person = identities.get(identityKey('email', email))?.profileId
        const holder = identities.get(identityKey('cookie', cookie))?.profileId
        if (person === undefined || person === holder) continue
        counted.add(person)
        if (holder !== undefined) counted.add(holder)
      }
      const cookieCounts = new Map<string, number>()
      for (const part of chunks([...counted], MAX_IN_LIST)) {
        const rows = await trx
          .selectFrom('identities')
          .select((eb) => ['profile_id', eb.fn.countAll<number>().as('n')])
          .where('profile_id', 'in', part)
          .where('kind', '=', 'cookie')
          .where('value', 'not like', `${USER_ID_COOKIE_PREFIX}%`)
          .where('value', 'not like', `${SHARED_DEVICE_PREFIX}%`)
          .groupBy('profile_id')
          .execute()
        for (const row of rows) cookieCounts.set(row.profile_id, Number(row.n))
      }
      const state: ResolveState = { identities, logins, profiles, refused, cookieCounts }
      return state
    },

    async saveResolution({ profiles, loaded, absorbed, identities, logins, merges, now }) {
      // Most events fold into their profile without changing it (an older timestamp, a category it
      // already has): a write of the same row would dirty a random page for nothing but updated_at.
      await writeProfiles([...profiles.values()].filter((p) => !sameProfileRow(p, loaded.get(p.id))), now, loaded)

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

      const toRow = (row: IdentityRow) => ({ kind: row.kind, value: row.value, profile_id: row.profileId, first_seen: row.firstSeen, last_seen: row.lastSeen })
      // An identity that stays with its profile (nearly every event's cookie) updates only its times:
      // setting profile_id, even to the same value, rewrites its entry in identities_profile too.
      const stays = identities.filter((row) => loadedOwner.get(identityKey(row.kind, row.value)) === row.profileId)
      const moves = identities.filter((row) => loadedOwner.get(identityKey(row.kind, row.value)) !== row.profileId)
      await dialect.upsertMany(trx, 'identities', moves.map(toRow), { conflict: ['kind', 'value'], update: ['profile_id', 'first_seen', 'last_seen'] })
      await dialect.upsertMany(trx, 'identities', stays.map(toRow), { conflict: ['kind', 'value'], update: ['first_seen', 'last_seen'] })

      const loginRows = logins.map((l) => ({ cookie: l.cookie, email: l.email, observed_at: l.at }))
      await dialect.upsertMany(trx, 'logins', loginRows, { conflict: ['cookie', 'observed_at', 'email'], update: [] })

      const mergeRows = merges.map((m) => mergeToRow(m, now))
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
      // A profile an admin merged by hand holds several emails: the person is all of them.
      const emailRows = identity ? await trx.selectFrom('identities').select('value').where('profile_id', '=', identity.profile_id).where('kind', '=', 'email').execute() : []
      const emails = new Set([email, ...emailRows.map((r) => r.value)])
      const cookieRows = await trx.selectFrom('logins').select('cookie').distinct().where('email', 'in', [...emails]).execute()
      const cookies = [...new Set(cookieRows.map((r) => r.cookie))]
      const logins = await loadLogins(cookies)
      const records: StoredRawRecord[] = []
      const withEmail = await trx
        .selectFrom('raw_records')
        .selectAll()
        .where('status', '=', 'accepted')
        .where('email', 'in', [...emails])
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
      return { profile, emails, logins, records }
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

    async resolveProfileId(kind, value) {
      if (kind === 'profile_id') {
        const live = await trx.selectFrom('profiles').select('id').where('id', '=', value).executeTakeFirst()
        if (live) return live.id
      }
      const identityKind = kind === 'profile_id' ? 'profile' : kind === 'user_id' ? 'user' : kind
      const row = await trx.selectFrom('identities').select('profile_id').where('kind', '=', identityKind).where('value', '=', value).executeTakeFirst()
      return row?.profile_id
    },

    async emailsOf(profileId) {
      const rows = await trx.selectFrom('identities').select('value').where('profile_id', '=', profileId).where('kind', '=', 'email').orderBy('value').execute()
      return rows.map((r) => r.value)
    },

    async loadMerge(id) {
      const row = await trx
        .selectFrom('merges')
        .leftJoin('raw_records', 'raw_records.id', 'merges.raw_id')
        .selectAll('merges')
        .select(['raw_records.source', 'raw_records.received_at', 'raw_records.cookie as raw_cookie', 'raw_records.email as raw_email'])
        .where('merges.id', '=', id)
        .executeTakeFirst()
      if (!row) return undefined
      return { ...mergeFromRow(row), rawCookie: row.raw_cookie ?? null, rawEmail: row.raw_email ?? null }
    },

    async loadPeopleEvidence(profileIds) {
      const emails = new Map<string, string>()
      const cookies = new Map<string, string>()
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('profile_id', 'in', part).where('kind', 'in', ['cookie', 'email']).execute()
        for (const row of rows) (row.kind === 'email' ? emails : cookies).set(row.value, row.profile_id)
      }
      const loginCookies = new Set(cookies.keys())
      for (const part of chunks([...emails.keys()], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('logins').select('cookie').distinct().where('email', 'in', part).execute()
        for (const row of rows) loginCookies.add(row.cookie)
      }
      const logins = await loadLogins([...loginCookies])
      const byId = new Map<number, StoredRawRecord>()
      for (const part of chunks([...emails.keys()], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').selectAll().where('status', '=', 'accepted').where('email', 'in', part).execute()
        for (const row of rows) byId.set(Number(row.id), rawFromRow(row))
      }
      for (const part of chunks([...loginCookies], MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').selectAll().where('status', '=', 'accepted').where('email', 'is', null).where('cookie', 'in', part).execute()
        for (const row of rows) byId.set(Number(row.id), rawFromRow(row))
      }
      const own = new Set<number>()
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('events').select('raw_id').where('profile_id', 'in', part).execute()
        for (const row of rows) if (row.raw_id !== null) own.add(Number(row.raw_id))
      }
      const missing = [...own].filter((id) => !byId.has(id))
      for (const part of chunks(missing, MAX_IN_LIST)) {
        const rows = await trx.selectFrom('raw_records').selectAll().where('id', 'in', part).execute()
        for (const row of rows) byId.set(Number(row.id), rawFromRow(row))
      }
      const people = new Set(profileIds)
      const foreign = new Set<number>()
      for (const part of chunks([...byId.keys()].filter((id) => !own.has(id)), MAX_IN_LIST)) {
        const rows = await trx.selectFrom('events').select(['raw_id', 'profile_id']).where('raw_id', 'in', part).execute()
        for (const row of rows) if (row.raw_id !== null && !people.has(row.profile_id)) foreign.add(Number(row.raw_id))
      }
      return { emails, cookies, logins, records: [...byId.values()].sort((a, b) => a.id - b.id), foreign, own }
    },

    async deletePeople(profileIds) {
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        await trx.deleteFrom('profile_interests').where('profile_id', 'in', part).execute()
        await trx.deleteFrom('profiles').where('id', 'in', part).execute()
        await trx.deleteFrom('identities').where('profile_id', 'in', part).where('kind', 'in', ['cookie', 'email', 'user']).execute()
        await trx.deleteFrom('events').where('profile_id', 'in', part).execute()
        await trx.deleteFrom('consent_changes').where('profile_id', 'in', part).execute()
      }
    },

    async deleteProfileAliases(profileIds) {
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        await trx.deleteFrom('identities').where('kind', '=', 'profile').where('value', 'in', part).execute()
      }
    },

    async refuseLinks(rows, now) {
      const values = rows.map((r) => ({ cookie: r.cookie, email: r.email, reason: r.reason, merge_id: r.mergeId, created_at: now, created_by: r.by }))
      await dialect.upsertMany(trx, 'refused_links', values, { conflict: ['cookie', 'email'], update: ['reason', 'merge_id', 'created_at', 'created_by'] })
    },

    async allowLinks(rows) {
      let removed = 0
      for (const r of rows) {
        const result = await trx.deleteFrom('refused_links').where('cookie', '=', r.cookie).where('email', '=', r.email).executeTakeFirst()
        removed += Number(result.numDeletedRows)
      }
      return removed
    },

    async allowLinksAmong(profileIds) {
      const ofKind = (kind: 'cookie' | 'email') => trx.selectFrom('identities').select('value').where('kind', '=', kind).where('profile_id', 'in', profileIds)
      const result = await trx.deleteFrom('refused_links').where('cookie', 'in', ofKind('cookie')).where('email', 'in', ofKind('email')).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteLogins(rows) {
      for (const r of rows) await trx.deleteFrom('logins').where('cookie', '=', r.cookie).where('email', '=', r.email).execute()
    },

    async insertMerges(entries, now) {
      const ids: number[] = []
      for (const m of entries) {
        const row = await trx
          .insertInto('merges')
          .values(mergeToRow(m, now))
          .returning('id')
          .executeTakeFirstOrThrow()
        ids.push(Number(row.id))
      }
      return ids
    },
  }
}
