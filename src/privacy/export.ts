// The access export (a data subject access request): everything stored about one person as one
// JSON document, written piece by piece so a person with 100k events never sits in memory as text.
import { jsonWithRawField, storedPayloadJson } from '../domain/json-value.ts'
import type { PersonRows, PrivacyStore } from '../storage/ports/privacy.ts'
import type { PersonKeys } from './footprint.ts'

const EVENT_PAGE = 1_000
const RAW_PAGE = 1_000

export interface ExportInput {
  store: PrivacyStore
  profileId: string
  rows: PersonRows
  keys: PersonKeys
  /** The footprint (footprint.ts): the same rows an erasure would delete. */
  rawIds: readonly number[]
  now: number
}

export async function* exportDocument(input: ExportInput): AsyncGenerator<string> {
  const { store, profileId, keys } = input
  const ids = keys.profileIds
  const field = (name: string, value: unknown) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`
  yield `{"profile_id":${JSON.stringify(profileId)},"exported_at":${JSON.stringify(new Date(input.now).toISOString())}`
  yield field('profile', (await store.exportProfile(profileId)) ?? null)
  yield field(
    'identifiers',
    input.rows.identities.map((i) => ({ kind: i.kind, value: i.value, first_seen: i.firstSeen, last_seen: i.lastSeen })),
  )
  yield field('interests', await store.exportSection('interests', ids))
  yield field('cohorts', await store.exportSection('cohorts', ids))
  yield field('segments', await store.exportSection('segments', ids))
  yield field('consent_history', await store.exportSection('consent', ids))
  yield field('merge_history', await store.exportSection('merges', ids))
  // Likely matches: IP addresses and user agents seen with the person's cookies (only kept when CDP_LIKELY_MATCHES is on).
  yield field('device_sightings', await store.exportSection('device_sightings', ids))
  yield ',"events":['
  let first = true
  const eventIds = (await store.personEvents(profileId)).map((e) => e.id)
  for (let i = 0; i < eventIds.length; i += EVENT_PAGE) {
    const page = await store.exportEvents(eventIds.slice(i, i + EVENT_PAGE))
    if (page.length > 0) {
      yield `${first ? '' : ','}${page.map((event) => JSON.stringify(event)).join(',')}`
      first = false
    }
  }
  yield '],"raw_records":['
  first = true
  for (let i = 0; i < input.rawIds.length; i += RAW_PAGE) {
    const page = await store.exportRawRecords(input.rawIds.slice(i, i + RAW_PAGE))
    if (page.length > 0) {
      // The payload goes in as the JSON text it is stored as: a payload nested 100,000 deep is kept
      // as received, and no serializer could write it again from a parsed tree.
      yield `${first ? '' : ','}${page.map((row) => jsonWithRawField(row.fields, 'payload', storedPayloadJson(row.payload))).join(',')}`
      first = false
    }
  }
  yield ']}'
}
