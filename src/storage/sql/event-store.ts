// Storage of behavioural events. Writes run inside the ingest transaction that resolved the
// message's profile, so an event is attributed, counted and seen by segments in one commit.
import { sql } from 'kysely'
import { precompile, type ReadTarget } from './precompile.ts'
import type { SqlDialect, Trx } from './dialect/dialect.ts'
import { chunks, MAX_IN_LIST } from './members.ts'
import type { EventsTable } from './schema.ts'
import type { EventRow } from '../../domain/event.ts'
import type { EventReader, EventTransaction } from '../ports/events.ts'
import { apiIdentityKind, storedIdentityKind, USER_ID_COOKIE_PREFIX } from '../../domain/identity.ts'

function eventFromRow(row: Omit<EventsTable, 'id'> & { id: number | string }): EventRow {
  return {
    id: Number(row.id),
    profileId: row.profile_id,
    type: row.type,
    name: row.name,
    properties: JSON.parse(row.properties) as Record<string, unknown>,
    context: row.context === null ? null : (JSON.parse(row.context) as Record<string, unknown>),
    at: Number(row.at),
    receivedAt: Number(row.received_at),
    messageId: row.message_id,
    anonymousId: row.anonymous_id,
    userId: row.user_id,
  }
}

export function createEventTransaction(trx: Trx, dialect: SqlDialect): EventTransaction {
  return {
    async insertEvents(rows) {
      await dialect.upsertMany(
        trx,
        'events',
        rows.map((e) => ({
          profile_id: e.profileId,
          type: e.type,
          name: e.name,
          properties: JSON.stringify(e.properties),
          context: e.context === null ? null : JSON.stringify(e.context),
          at: e.at,
          received_at: e.receivedAt,
          message_id: e.messageId,
          raw_id: e.rawId,
          anonymous_id: e.anonymousId,
          user_id: e.userId,
        })),
        { conflict: ['id'], update: [] },
      )
    },

    async linkIdentifiers(rows) {
      // Latest wins per identifier: it names one person, the one it was last linked to.
      const identities = new Map<string, Record<string, string | number | null>>()
      for (const r of rows) {
        const kind = storedIdentityKind(r.kind)
        identities.set(`${kind}:${r.value}`, { kind, value: r.value, profile_id: r.profileId, first_seen: r.at, last_seen: r.at })
        // Messages that carry only this userId are keyed by "uid:<userId>": they go where it was last
        // seen too. (A profile made earlier from such messages alone keeps what it has: an email, not a
        // userId, is what merges people.)
        if (r.kind === 'user_id') {
          const cookie = `${USER_ID_COOKIE_PREFIX}${r.value}`
          identities.set(`cookie:${cookie}`, { kind: 'cookie', value: cookie, profile_id: r.profileId, first_seen: r.at, last_seen: r.at })
        }
      }
      await dialect.upsertMany(trx, 'identities', [...identities.values()], { conflict: ['kind', 'value'], update: ['profile_id', 'last_seen'] })
    },

    async loadIdentifierLinks({ keys, profileIds }) {
      const owners = new Map<string, string>()
      const held = new Map<string, Array<{ kind: string; value: string; firstSeen: number }>>()
      const byKind = new Map<string, string[]>()
      for (const k of keys) {
        const kind = storedIdentityKind(k.kind)
        const values = byKind.get(kind)
        if (values) values.push(k.value)
        else byKind.set(kind, [k.value])
      }
      for (const [kind, values] of byKind) {
        for (const part of chunks([...new Set(values)], MAX_IN_LIST)) {
          const rows = await trx.selectFrom('identities').select(['value', 'profile_id']).where('kind', '=', kind).where('value', 'in', part).execute()
          for (const row of rows) owners.set(`${apiIdentityKind(kind)}:${row.value}`, row.profile_id)
        }
      }
      // Over the identities(profile_id, kind) index; a person holds few identifiers.
      for (const part of chunks(profileIds, MAX_IN_LIST)) {
        const rows = await trx
          .selectFrom('identities')
          .select(['profile_id', 'kind', 'value', 'first_seen'])
          .where('profile_id', 'in', part)
          .where('kind', 'not in', ['cookie', 'email', 'profile'])
          .execute()
        for (const row of rows) {
          const list = held.get(row.profile_id) ?? []
          list.push({ kind: apiIdentityKind(row.kind), value: row.value, firstSeen: Number(row.first_seen) })
          held.set(row.profile_id, list)
        }
      }
      return { owners, held }
    },
  }
}

export function createEventStore(target: ReadTarget): EventReader {
  const { reader } = target
  // Every GET /api/user reads the counts: compiled once, as the store's other point reads are.
  const counts = precompile(target, (p) =>
    reader
      .selectFrom('events')
      .select(['name', sql<number>`count(*)`.as('n'), sql<number>`max(at)`.as('last')])
      .where('profile_id', '=', p('id'))
      .groupBy('name')
      .orderBy('name'),
  )
  return {
    async listEvents({ profileId, limit, before, name }) {
      let query = reader.selectFrom('events').selectAll().where('profile_id', '=', profileId)
      if (name !== undefined) query = query.where('name', '=', name)
      if (before) {
        query = query.where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]))
      }
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute()
      return rows.map(eventFromRow)
    },

    async countEvents(profileId) {
      const rows = await counts({ id: profileId })
      return rows.map((r) => ({ name: r.name, count: Number(r.n), lastAt: Number(r.last) }))
    },
  }
}
