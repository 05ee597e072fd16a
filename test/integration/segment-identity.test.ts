// Identity through the Segment-spec API as real clients use it: server-side libraries that send only
// a userId, batches that link and use a userId in one request, and locations that change as a whole.
// Property tests hold the two promises behind them: people who share no identifier never share a
// profile, and a batch resolves exactly as its messages would one by one.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type SqlDatabase } from '../../src/storage/sql/open.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let direct: SqlDatabase

beforeAll(async () => {
  t = await createTestApp()
  direct = await openDatabase(t.database.config)
})

afterAll(async () => {
  await direct.close()
  await t.close()
})

const T0 = Date.parse('2026-06-01T00:00:00Z')
const at = (i: number) => new Date(T0 + i * 1000).toISOString()

async function send(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await t.app.inject({
    method: 'POST',
    url: path,
    headers: { ...t.auth('ingest'), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  })
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}

/**
 * Identifiers and events with a value prefix → the profile each belongs to. With `foreign`, also
 * every other identifier of those profiles, unprefixed items marked "foreign:" (an identifier
 * outside the run, like a shared derived cookie, that ended up on the run's profiles).
 */
async function ownership(prefix: string, options: { foreign?: boolean } = {}): Promise<{ identities: Map<string, string>; events: Map<string, string> }> {
  const identities = new Map<string, string>()
  const rows = await direct.db.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('value', 'like', `%${prefix}%`).execute()
  for (const r of rows) if (r.kind !== 'profile') identities.set(`${r.kind}:${r.value.replaceAll(prefix, '')}`, r.profile_id)
  const events = new Map<string, string>()
  const eventRows = await direct.db.selectFrom('events').select(['message_id', 'profile_id']).where('message_id', 'like', `${prefix}%`).execute()
  for (const e of eventRows) events.set(e.message_id.slice(prefix.length), e.profile_id)
  const profiles = [...new Set([...identities.values(), ...events.values()])]
  if (options.foreign && profiles.length > 0) {
    const others = await direct.db.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('profile_id', 'in', profiles).execute()
    for (const r of others) if (r.kind !== 'profile' && !r.value.includes(prefix)) identities.set(`foreign:${r.kind}:${r.value}`, r.profile_id)
  }
  return { identities, events }
}

/** Who ends up together: each profile as the sorted list of what it holds, the lists sorted. */
function partition(owned: { identities: Map<string, string>; events: Map<string, string> }): string[][] {
  const groups = new Map<string, string[]>()
  const add = (profileId: string, item: string) => groups.set(profileId, [...(groups.get(profileId) ?? []), item])
  for (const [identity, profileId] of owned.identities) add(profileId, identity)
  for (const [event, profileId] of owned.events) add(profileId, `event:${event}`)
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1))
}

describe('userId-only messages (server-side libraries)', () => {
  it('gives each email-shaped userId its own visitor, never a shared "uid:null"', async () => {
    for (const [i, person] of ['jane', 'bob', 'carol'].entries()) {
      await send('/v1/identify', { userId: `${person}@uid-null.test`, traits: { plan: person }, timestamp: at(i * 2), messageId: `un-identify-${person}` })
      await send('/v1/track', { userId: `${person}@uid-null.test`, event: 'Signed In', timestamp: at(i * 2 + 1), messageId: `un-track-${person}` })
    }
    expect((await t.user({ cookie: 'uid:null' })).status).toBe(404)
    const ids = new Set<string>()
    for (const person of ['jane', 'bob', 'carol']) {
      const { status, body } = await t.user({ email: `${person}@uid-null.test` })
      expect(status).toBe(200)
      expect(body.user_profile.traits).toMatchObject({ plan: person })
      expect(body.user_profile.cookies).toEqual([`uid:${person}@uid-null.test`])
      ids.add(body.user_profile.profile_id)
      const events = await direct.db.selectFrom('events').select('message_id').where('profile_id', '=', body.user_profile.profile_id).execute()
      expect(events.map((e) => e.message_id)).toEqual([`un-track-${person}`])
    }
    expect(ids.size).toBe(3)
  })
})

describe('context.traits', () => {
  it('names the person of a track call by the email in context.traits, as analytics.js sends it', async () => {
    await send('/v1/track', { anonymousId: 'ctx-anon-1', event: 'Viewed', context: { traits: { email: 'ctx1@ctx.test' } }, timestamp: at(1), messageId: 'ctx-1' })
    const { status, body } = await t.user({ email: 'ctx1@ctx.test' })
    expect(status).toBe(200)
    expect(body.user_profile.cookies).toEqual(['ctx-anon-1'])
  })
})

describe('alias and identify in one batch', () => {
  it('links the anonymous visitor to the userId as separate requests would', async () => {
    await send('/v1/batch', {
      batch: [
        { type: 'track', anonymousId: 'anon-ab-1', event: 'Product Viewed', timestamp: at(1), messageId: 'ab-view' },
        { type: 'alias', previousId: 'anon-ab-1', userId: 'user-ab-1', timestamp: at(2), messageId: 'ab-alias' },
        { type: 'identify', userId: 'user-ab-1', traits: { email: 'ab@alias.test', plan: 'pro' }, timestamp: at(3), messageId: 'ab-identify' },
        { type: 'track', userId: 'user-ab-1', event: 'Order Completed', timestamp: at(4), messageId: 'ab-order' },
      ],
    })
    const { status, body } = await t.user({ email: 'ab@alias.test' })
    expect(status).toBe(200)
    expect(body.user_profile.cookies).toContain('anon-ab-1')
    expect(body.user_profile.traits).toMatchObject({ plan: 'pro' })
    const events = await direct.db.selectFrom('events').select('message_id').where('profile_id', '=', body.user_profile.profile_id).orderBy('at').execute()
    expect(events.map((e) => e.message_id)).toEqual(['ab-view', 'ab-order'])
  })
})

describe('locations', () => {
  it('replaces a location as a whole: Austin, Texas, US then Paris, France is Paris, France', async () => {
    await t.ingest({ cookie: 'loc-1', location: { city: 'Austin', state: 'Texas', country: 'US' }, timestamp: at(1) })
    await t.ingest({ cookie: 'loc-1', location: { city: 'Paris', country: 'France' }, timestamp: at(2) })
    const { body } = await t.user({ cookie: 'loc-1' })
    expect(body.user_profile.location).toBe('Paris, France')
    expect(body.user_profile.location_detail).toEqual({ city: 'Paris', state: null, country: 'France', country_code: 'FR' })
  })

  it('keeps the later location when the older one arrives last, and when two profiles merge', async () => {
    await t.ingest({ cookie: 'loc-2a', email: 'loc2@loc.test', location: { city: 'Paris', country: 'France' }, timestamp: at(5) })
    await t.ingest({ cookie: 'loc-2b', location: { city: 'Austin', state: 'Texas', country: 'US' }, timestamp: at(1) })
    await t.ingest({ cookie: 'loc-2b', email: 'loc2@loc.test', timestamp: at(6) })
    const { body } = await t.user({ email: 'loc2@loc.test' })
    expect(body.user_profile.location).toBe('Paris, France')
  })
})

// --- properties -----------------------------------------------------------------------------------

type Person = 0 | 1 | 2
interface Step {
  kind: 'identify' | 'track' | 'page' | 'alias'
  person: Person
  /** Which of the person's identifiers the message carries. */
  anonymous: 0 | 1 | null
  user: 'opaque' | 'email' | null
  traitEmail: boolean
}

const step: fc.Arbitrary<Step> = fc
  .record({
    kind: fc.constantFrom('identify', 'track', 'page', 'alias'),
    person: fc.constantFrom<Person>(0, 1, 2),
    anonymous: fc.constantFrom<0 | 1 | null>(0, 1, null),
    user: fc.constantFrom<'opaque' | 'email' | null>('opaque', 'email', null),
    traitEmail: fc.boolean(),
  })
  .map((s) => (s.anonymous === null && s.user === null ? { ...s, user: 'opaque' as const } : s))

/** Steps → Segment messages whose identifiers all carry `prefix`, so runs share one database. */
function messages(steps: readonly Step[], prefix: string): Array<Record<string, unknown>> {
  return steps.map((s, i) => {
    const anonymousId = s.anonymous === null ? undefined : `${prefix}anon-${s.person}-${s.anonymous}`
    const email = `${prefix}p${s.person}@prop.test`
    const userId = s.user === 'email' ? email : s.user === 'opaque' ? `${prefix}user-${s.person}` : undefined
    const base = { messageId: `${prefix}m${i}`, timestamp: at(i) }
    if (s.kind === 'alias') {
      return { ...base, type: 'alias', previousId: anonymousId ?? `${prefix}anon-${s.person}-0`, userId: userId ?? `${prefix}user-${s.person}` }
    }
    const traits = s.traitEmail ? { email } : undefined
    const who = { ...(anonymousId ? { anonymousId } : {}), ...(userId ? { userId } : {}) }
    if (s.kind === 'identify') return { ...base, type: 'identify', ...who, ...(traits ? { traits } : {}) }
    return { ...base, type: s.kind, ...who, ...(s.kind === 'track' ? { event: 'Thing Done' } : { name: 'Home' }), ...(traits ? { context: { traits } } : {}) }
  })
}

let run = 0

describe('identity properties', () => {
  it('never puts two people who share no identifier on one profile', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), fc.boolean(), async (steps, batched) => {
        const prefix = `r${run++}-`
        const list = messages(steps, prefix)
        if (batched) await send('/v1/batch', { batch: list })
        else for (const m of list) await send(`/v1/${m.type as string}`, m)
        const owned = await ownership(prefix, { foreign: true })
        const personOf = (item: string) => (item.startsWith('foreign:') ? item : /(?:anon-|user-|p)([012])/.exec(item)?.[1])
        for (const group of partition(owned)) {
          const people = new Set(
            group.map((item) => (item.startsWith('event:') ? String(steps[Number(item.slice('event:m'.length))]?.person) : personOf(item))),
          )
          expect(people.size, JSON.stringify(group)).toBe(1)
        }
      }),
      { numRuns: 25, seed: 10 },
    )
  })

  it('resolves a batch exactly as the same messages sent one by one, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), fc.array(fc.constantFrom<Person>(0, 1, 2), { minLength: 0, maxLength: 3 }), async (steps, shared) => {
        // Share some identifiers between people (a family laptop): the merge rules decide, and the
        // batch must decide as the sequence does.
        const mixed = steps.map((s, i) => (shared.length > 0 && i % 3 === 0 ? { ...s, person: shared[i % shared.length] as Person, anonymous: 0 as const } : s))
        const id = run++
        const batchPrefix = `b${id}-`
        const onePrefix = `s${id}-`
        await send('/v1/batch', { batch: messages(mixed, batchPrefix) })
        for (const m of messages(mixed, onePrefix)) await send(`/v1/${m.type as string}`, m)
        expect(partition(await ownership(batchPrefix))).toEqual(partition(await ownership(onePrefix)))
      }),
      { numRuns: 25, seed: 11 },
    )
  })
})
