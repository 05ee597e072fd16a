// Device sightings over Kysely (likely matches, issue #20): one multi-row insert per batch, the read
// that finds shared addresses, and the deletes and export of one person's sightings for privacy-store.ts.
import { type Kysely, sql } from 'kysely'
import { type DeviceSighting, type OwnedSighting, sightingSlot } from '../../domain/likely-match.ts'
import type { LikelyMatchReader, LikelyMatchTransaction } from '../ports/likely-matches.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { Database } from './schema.ts'

export function createLikelyMatchTransaction(trx: Trx, dialect: SqlDialect): LikelyMatchTransaction {
  return {
    async insertDeviceSightings(rows) {
      if (rows.length === 0) return
      // The first sighting per (ip, user agent, slot, cookie) of the batch; the store keeps the first of all.
      const unique = new Map<string, DeviceSighting & { slot: number }>()
      for (const r of [...rows].sort((a, b) => a.at - b.at)) {
        const slot = sightingSlot(r.at)
        const key = `${r.ip}\u0000${r.userAgent}\u0000${slot}\u0000${r.cookie}`
        if (!unique.has(key)) unique.set(key, { ...r, slot })
      }
      await dialect.upsertMany(
        trx,
        'device_sightings',
        [...unique.values()].map((r) => ({ ip: r.ip, user_agent: r.userAgent, slot: r.slot, cookie: r.cookie, at: r.at })),
        { conflict: ['ip', 'user_agent', 'slot', 'cookie'], update: [] },
      )
    },
  }
}

export function createLikelyMatchReader(reader: Kysely<Database>): LikelyMatchReader {
  return {
    async loadSharedAddressSightings(options = {}) {
      // Addresses with two or more cookies (of one profile's cookies, when asked); each sighting with
      // its cookie's profile, and whether that profile is anonymous (no email, no user id).
      const { profileId } = options
      const ownCookies = reader.selectFrom('identities').select('value').where('kind', '=', 'cookie').where('profile_id', '=', profileId ?? '')
      const shared = reader
        .selectFrom('device_sightings')
        .select('ip')
        .$if(profileId !== undefined, (q) => q.where('ip', 'in', reader.selectFrom('device_sightings').select('ip').where('cookie', 'in', ownCookies)))
        .groupBy('ip')
        .having(sql`count(distinct cookie)`, '>', 1)
      const rows = await reader
        .selectFrom('device_sightings as s')
        .innerJoin('identities as i', (join) => join.on('i.kind', '=', 'cookie').onRef('i.value', '=', 's.cookie'))
        .innerJoin('profiles as p', 'p.id', 'i.profile_id')
        .select(['s.cookie', 's.ip', 's.user_agent', 's.at', 'p.id as profile_id', 'p.email'])
        .select((eb) => eb.exists(eb.selectFrom('identities as u').select('u.value').where('u.kind', '=', 'user').whereRef('u.profile_id', '=', 'p.id')).as('has_user_id'))
        .where('s.ip', 'in', shared)
        .execute()
      return rows.map(
        (r): OwnedSighting => ({
          cookie: r.cookie,
          ip: r.ip,
          userAgent: r.user_agent,
          at: Number(r.at),
          profileId: r.profile_id,
          anonymous: r.email === null && !isTrue(r.has_user_id),
        }),
      )
    },

    async cookiesOf(profileIds) {
      const out = new Map<string, string[]>()
      for (const part of chunks([...new Set(profileIds)], MAX_IN_LIST)) {
        const rows = await reader.selectFrom('identities').select(['profile_id', 'value']).where('kind', '=', 'cookie').where('profile_id', 'in', part).orderBy('value').execute()
        for (const r of rows) out.set(r.profile_id, [...(out.get(r.profile_id) ?? []), r.value])
      }
      return out
    },
  }
}

/** Erasure: the sightings of these cookies (a person's IP addresses and user agents). */
export async function deleteDeviceSightings(trx: Trx, cookies: readonly string[]): Promise<number> {
  let n = 0
  for (const part of chunks(cookies, MAX_IN_LIST)) n += Number((await trx.deleteFrom('device_sightings').where('cookie', 'in', part).executeTakeFirst()).numDeletedRows)
  return n
}

/** The access export: the sightings of the profiles' cookies, oldest first. */
export async function exportDeviceSightings(reader: Kysely<Database> | Trx, profileIds: readonly string[]): Promise<Array<Record<string, unknown>>> {
  const cookies = reader.selectFrom('identities').select('value').where('kind', '=', 'cookie').where('profile_id', 'in', [...profileIds])
  const rows = await reader.selectFrom('device_sightings').select(['cookie', 'ip', 'user_agent', 'at']).where('cookie', 'in', cookies).orderBy('at').orderBy('cookie').execute()
  return rows.map((r) => ({ cookie: r.cookie, ip: r.ip, user_agent: r.user_agent, at: Number(r.at) }))
}

/** SQLite answers EXISTS with 0/1, PostgreSQL with a boolean. */
function isTrue(value: unknown): boolean {
  return value === true || Number(value) === 1
}
