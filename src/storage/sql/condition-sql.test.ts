// Agreement between the SQL compiler and the JS evaluator: random conditions over random profiles
// must select the same profiles from a real SQLite database, and from PostgreSQL when DATABASE_URL is set.
import { randomUUID } from 'node:crypto'
import BetterSqlite3 from 'better-sqlite3'
import fc from 'fast-check'
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from './schema.ts'
import { loadSegmentEvents } from './segment-store.ts'
import { evaluate, nextTimeChange } from '../../segments/language/evaluate.ts'
import { compileCondition as compileClosure } from '../../segments/language/compile.ts'
import { type Condition, eventNeeds, parseSegmentDefinition } from '../../segments/language/parse.ts'
import { compileCondition } from './condition-sql.ts'
import type { SqlDialect } from './dialect/dialect.ts'
import { createSqliteDialect } from './dialect/sqlite.ts'
import { postgresDialect } from './dialect/postgres.ts'
import { parseMoney } from '../../domain/text-compare.ts'
import type { EventOccurrence, SegmentProfile } from '../../domain/segment-view.ts'

const SEED = Number(process.env.CDP_PROPERTY_SEED ?? 20261122)
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const DAY = 86_400_000
const COHORT_NAMES = ['Sports', 'MUSIC', 'tech']
const SEGMENT_IDS = ['seg_a', 'seg_b', 'seg_c']
const TRAIT_KEYS = ['plan', 'score', 'vip', 'location.floor']
const CONSENT_PURPOSES = ['analytics', 'marketing_email', 'advertising']
const TEXT_FIELDS = ['email', 'phone', 'city', 'state', 'country', 'country_code', 'gender', 'education']
// Names differ in case only too: event names match exactly.
const EVENT_NAMES = ['Product Viewed', 'Order Completed', 'product viewed']
const PROPERTY_NAMES = ['category', 'price', 'sale', 'product.category', 'product.price', 'tags', 'missing', 'category.x', 'tags.0']

// Small alphabets make matches likely; the accented and symbol letters check ASCII-only folding.
const letter = fc.constantFrom('a', 'A', 'b', 'é', 'É', 'ß', '1', ' ', '$', ',', '.', 'k', 'M', '-', '+')
const word = fc.constantFrom('Éa', 'éa', 'ÉA', 'ea', 'Paris', 'PARIS', 'pa', 'ßa', '')
const shortText = fc.oneof(word, fc.string({ unit: letter, maxLength: 4 }))
const nonEmptyText = fc.oneof(fc.constantFrom('É', 'é', 'a', 'PA', 'ris'), fc.string({ unit: letter, minLength: 1, maxLength: 3 }))
const moneyText = fc.oneof(
  fc.constantFrom('100000', '$100k', '1.5M', '100,000', '$1,5,0', '1.', '.5', 'abc', '$$5', '1.2.3', '1..5', '2.5.k'),
  fc.constantFrom('1234567890123456', '2.5k', '0', '$0.25m', '99999999999999k', '$', 'k', '', '7 ', ' 7', '1e3', '０'),
  fc.constantFrom('$75,000-$100,000', '$100,000+', '50k - 75k', '-5', '5-', '$-5', ' 60k +', '+', '1+2', '10k-', '$50,000 - $75,000'),
  fc.string({ unit: letter, maxLength: 4 }),
)
const smallNumber = fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }))
const amount = fc.oneof(fc.constantFrom(0, 0.25, 1.5, 1000, 2500, 100_000, 250_000, 1_500_000), fc.integer({ min: 0, max: 2_000_000 }))
const time = fc.integer({ min: NOW - 60 * DAY, max: NOW + DAY })

const traitValue = fc.oneof(shortText, smallNumber, fc.boolean(), fc.constant(null), fc.constant([1, 'a']), fc.constant({ a: 1 }))

// Times on and around the window edges the conditions below use, and whole milliseconds as stored.
const eventTime = fc.oneof(
  fc.integer({ min: NOW - 40 * DAY, max: NOW + DAY }),
  fc.constantFrom(NOW - 7 * DAY, NOW - 7 * DAY - 1, NOW - DAY, NOW - 30 * DAY, NOW - 3_600_000, NOW - 3_600_001, NOW),
)
// Numeric strings, nested objects and arrays check that property types are compared strictly.
const propertyValue = fc.oneof(traitValue, fc.constantFrom('80', '1.5', ' 2'), fc.record({ category: shortText, price: smallNumber }, { requiredKeys: [] }))
const eventArbitrary = fc.record({
  name: fc.constantFrom(...EVENT_NAMES),
  at: eventTime,
  properties: fc.dictionary(fc.constantFrom('category', 'price', 'sale', 'product', 'tags'), propertyValue, { maxKeys: 4 }),
})

function groupEvents(events: ReadonlyArray<{ name: string; at: number; properties: Record<string, unknown> }>): Map<string, EventOccurrence[]> {
  const byName = new Map<string, EventOccurrence[]>()
  for (const { name, at, properties } of events) byName.set(name, [...(byName.get(name) ?? []), { at, properties }])
  for (const list of byName.values()) list.sort((a, b) => a.at - b.at)
  return byName
}

const profileArbitrary = (id: string): fc.Arbitrary<SegmentProfile> =>
  fc.record({
    id: fc.constant(id),
    email: fc.option(shortText),
    phone: fc.option(shortText),
    city: fc.option(shortText),
    state: fc.option(shortText),
    country: fc.option(shortText),
    country_code: fc.option(shortText),
    age: fc.option(fc.integer({ min: 0, max: 100 })),
    gender: fc.option(shortText),
    income: fc.option(moneyText),
    education: fc.option(shortText),
    traits: fc.dictionary(fc.constantFrom(...TRAIT_KEYS), traitValue, { maxKeys: 4 }),
    first_seen: time,
    last_seen: time,
    interests: fc.uniqueArray(fc.constantFrom('Shoes', 'running shoes', 'SHOE care', 'Tennis', 'tea'), { maxLength: 3 }),
    cohorts: fc
      .dictionary(fc.constantFrom(...COHORT_NAMES.map((name) => name.toLowerCase())), fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 3 })
      .map((scores) => new Map(Object.entries(scores))),
    consent: fc.dictionary(fc.constantFrom(...CONSENT_PURPOSES), fc.boolean(), { maxKeys: 3 }),
    segments: fc.uniqueArray(fc.constantFrom(...SEGMENT_IDS), { maxLength: 2 }).map((ids) => new Set(ids)),
    events: fc.array(eventArbitrary, { maxLength: 8 }).map(groupEvents),
  })

const sortedPair = <T extends number>(arbitrary: fc.Arbitrary<T>) => fc.tuple(arbitrary, arbitrary).map(([a, b]) => (a <= b ? [a, b] : [b, a]))
const list = <T>(arbitrary: fc.Arbitrary<T>) => fc.array(arbitrary, { minLength: 1, maxLength: 3 })

function leafFor(field: fc.Arbitrary<string>, cases: fc.Arbitrary<{ op: string; value: unknown }>) {
  return fc.record({ field, rest: cases }).map(({ field, rest }) => ({ field, ...rest }))
}

const textCases = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.record({ op: fc.constantFrom('eq', 'neq'), value: text as fc.Arbitrary<unknown> }),
    fc.record({ op: fc.constantFrom('in', 'not_in'), value: list(text) as fc.Arbitrary<unknown> }),
    fc.record({ op: fc.constantFrom('contains', 'starts_with'), value: nonEmptyText as fc.Arbitrary<unknown> }),
  )
const numberCases = (number: fc.Arbitrary<number | string>) =>
  fc.oneof(
    fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: number as fc.Arbitrary<unknown> }),
    fc.record({ op: fc.constantFrom('in', 'not_in'), value: list(number) as fc.Arbitrary<unknown> }),
  )
const existsCase = fc.record({ op: fc.constant('exists'), value: fc.boolean() as fc.Arbitrary<unknown> })
const duration = fc.oneof(
  // Windows whose start falls on the event times above; 1.0000001 hours starts 0.36 ms before one.
  fc.constantFrom({ days: 7 }, { days: 1 }, { hours: 1 }, { days: 30 }, { hours: 1.0000001 }, { minutes: 0.5 }),
  fc.record({ days: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ hours: fc.double({ min: 0.5, max: 900, noNaN: true }) }),
  fc.record({ minutes: fc.integer({ min: 1, max: 5000 }) }),
) as fc.Arbitrary<unknown>

const propertyFilter = fc
  .record({
    property: fc.constantFrom(...PROPERTY_NAMES),
    rest: fc.oneof(
      textCases(shortText),
      numberCases(smallNumber),
      fc.record({ op: fc.constant('between'), value: sortedPair(smallNumber) as fc.Arbitrary<unknown> }),
      fc.record({ op: fc.constantFrom('eq', 'neq'), value: fc.boolean() as fc.Arbitrary<unknown> }),
      existsCase,
    ),
  })
  .map(({ property, rest }) => ({ property, ...rest }))
const countCase = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: fc.integer({ min: 0, max: 4 }) as fc.Arbitrary<unknown> }),
  fc.record({ op: fc.constant('between'), value: sortedPair(fc.integer({ min: 0, max: 4 })) as fc.Arbitrary<unknown> }),
)
const occurrenceCase = fc.oneof(
  fc.record({ op: fc.constantFrom('within_last', 'before_last'), value: duration }),
  fc.record({ op: fc.constantFrom('gt', 'gte', 'lt', 'lte'), value: eventTime as fc.Arbitrary<unknown> }),
  fc.record({ op: fc.constant('between'), value: sortedPair(eventTime) as fc.Arbitrary<unknown> }),
)
const eventLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    { event: fc.constantFrom(...EVENT_NAMES), where: fc.array(propertyFilter, { minLength: 1, maxLength: 2 }), within_last: duration, count: countCase },
    { requiredKeys: ['event'] },
  ),
  fc
    .record({ event: fc.constantFrom(...EVENT_NAMES), where: fc.array(propertyFilter, { minLength: 1, maxLength: 2 }), first: occurrenceCase, last: occurrenceCase }, { requiredKeys: ['event'] })
    .filter((leaf) => 'first' in leaf || 'last' in leaf),
)

const leafArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  leafFor(fc.constantFrom(...TEXT_FIELDS), fc.oneof(textCases(shortText), existsCase)),
  leafFor(
    fc.constant('age'),
    fc.oneof(numberCases(smallNumber), existsCase, fc.record({ op: fc.constant('between'), value: sortedPair(smallNumber) as fc.Arbitrary<unknown> })),
  ),
  leafFor(
    fc.constant('income'),
    fc.oneof(
      textCases(moneyText),
      numberCases(amount),
      fc.record({ op: fc.constantFrom('gt', 'lte'), value: fc.constantFrom('$100k', '1.5m', '100,000') as fc.Arbitrary<unknown> }),
      fc.record({ op: fc.constant('between'), value: sortedPair(amount) as fc.Arbitrary<unknown> }),
      existsCase,
    ),
  ),
  leafFor(
    fc.constantFrom('first_seen', 'last_seen'),
    fc.oneof(
      numberCases(time),
      fc.record({ op: fc.constant('between'), value: sortedPair(time) as fc.Arbitrary<unknown> }),
      fc.record({ op: fc.constant('gt'), value: fc.constant('2026-11-01') as fc.Arbitrary<unknown> }),
      fc.record({ op: fc.constantFrom('within_last', 'before_last'), value: duration }),
    ),
  ),
  leafFor(
    fc.constantFrom(...TRAIT_KEYS.map((key) => `trait.${key}`)),
    fc.oneof(
      textCases(shortText),
      numberCases(smallNumber),
      fc.record({ op: fc.constant('between'), value: sortedPair(smallNumber) as fc.Arbitrary<unknown> }),
      fc.record({ op: fc.constantFrom('eq', 'neq'), value: fc.boolean() as fc.Arbitrary<unknown> }),
      existsCase,
    ),
  ),
  fc.record({ interest: fc.constantFrom('eq', 'contains', 'starts_with'), value: fc.constantFrom('shoe', 'SHOES', 'Tennis', 'te', 'care') }),
  fc.record(
    { cohort: fc.constantFrom(...COHORT_NAMES, 'Sports ', 'none'), min_score: fc.double({ min: 0, max: 1, noNaN: true }) },
    { requiredKeys: ['cohort'] },
  ),
  fc.record({ segment: fc.constantFrom(...SEGMENT_IDS) }),
  fc.record({ consent: fc.constantFrom(...CONSENT_PURPOSES, 'Marketing Email'), granted: fc.boolean() }, { requiredKeys: ['consent'] }),
  eventLeaf,
  eventLeaf,
)

const definitionArbitrary: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArbitrary,
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node

const conditionArbitrary: fc.Arbitrary<Condition> = definitionArbitrary.map((definition) => {
  const parsed = parseSegmentDefinition(definition)
  if (parsed.kind === 'rejected') throw new Error(`generator produced an invalid definition: ${JSON.stringify(parsed.detail)}`)
  return parsed.value
})

const caseArbitrary = fc.record({
  profiles: fc.tuple(...Array.from({ length: 8 }, (_, index) => profileArbitrary(`prof_${index}`))),
  conditions: fc.array(conditionArbitrary, { minLength: 1, maxLength: 6 }),
})

async function createTables(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const bigint = sql.raw(dialect.schema.bigint)
  const real = sql.raw(dialect.schema.double)
  await sql`CREATE TABLE profiles (id text PRIMARY KEY, email text, phone text, city text, state text, country text,
    country_code text, age integer, gender text, income text, income_amount ${real}, education text, traits text NOT NULL,
    consent text NOT NULL, first_seen ${bigint} NOT NULL, last_seen ${bigint} NOT NULL)`.execute(db)
  await sql`CREATE TABLE profile_interests (profile_id text NOT NULL, interest text NOT NULL)`.execute(db)
  await sql`CREATE TABLE cohorts (id text PRIMARY KEY, name text NOT NULL, name_key text NOT NULL)`.execute(db)
  await sql`CREATE TABLE cohort_memberships (cohort_id text NOT NULL, profile_id text NOT NULL, score ${real} NOT NULL)`.execute(db)
  await sql`CREATE TABLE segment_memberships (segment_id text NOT NULL, profile_id text NOT NULL)`.execute(db)
  await sql`CREATE TABLE events (id ${sql.raw(dialect.schema.idType)} PRIMARY KEY, profile_id text NOT NULL, name text NOT NULL,
    properties text NOT NULL, at ${bigint} NOT NULL)`.execute(db)
  await sql`CREATE INDEX events_profile_name_at ON events (profile_id, name, at)`.execute(db)
  for (const [index, name] of COHORT_NAMES.entries()) {
    await sql`INSERT INTO cohorts (id, name, name_key) VALUES (${`coh_${index}`}, ${name}, ${name.toLowerCase()})`.execute(db)
  }
}

/** The view's consent as profiles.consent stores it: {purpose: {granted, at, source}}. */
function consentJson(consent: Readonly<Record<string, boolean>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(consent).map(([purpose, granted]) => [purpose, { granted, at: NOW, source: 'test' }])))
}

async function storeProfiles(db: Kysely<Database>, profiles: readonly SegmentProfile[]): Promise<void> {
  for (const table of ['profiles', 'profile_interests', 'cohort_memberships', 'segment_memberships', 'events']) {
    await sql`DELETE FROM ${sql.table(table)}`.execute(db)
  }
  // One multi-row INSERT per table keeps a run to a few round trips on PostgreSQL.
  const profileRows = profiles.map(
    (p) => sql`(${p.id}, ${p.email}, ${p.phone}, ${p.city}, ${p.state}, ${p.country}, ${p.country_code}, ${p.age}, ${p.gender},
      ${p.income}, ${p.income === null ? null : parseMoney(p.income)}, ${p.education}, ${JSON.stringify(p.traits)}, ${consentJson(p.consent)}, ${p.first_seen}, ${p.last_seen})`,
  )
  await sql`INSERT INTO profiles (id, email, phone, city, state, country, country_code, age, gender, income, income_amount, education, traits, consent, first_seen, last_seen)
    VALUES ${sql.join(profileRows)}`.execute(db)
  const interests = profiles.flatMap((p) => p.interests.map((interest) => sql`(${p.id}, ${interest})`))
  if (interests.length > 0) await sql`INSERT INTO profile_interests (profile_id, interest) VALUES ${sql.join(interests)}`.execute(db)
  const memberships = profiles.flatMap((p) =>
    [...p.cohorts].map(([nameKey, score]) => {
      const cohortId = `coh_${COHORT_NAMES.findIndex((name) => name.toLowerCase() === nameKey)}`
      return sql`(${cohortId}, ${p.id}, ${score})`
    }),
  )
  if (memberships.length > 0) await sql`INSERT INTO cohort_memberships (cohort_id, profile_id, score) VALUES ${sql.join(memberships)}`.execute(db)
  const segments = profiles.flatMap((p) => [...p.segments].map((segmentId) => sql`(${segmentId}, ${p.id})`))
  if (segments.length > 0) await sql`INSERT INTO segment_memberships (segment_id, profile_id) VALUES ${sql.join(segments)}`.execute(db)
  const events = profiles.flatMap((p) =>
    [...p.events].flatMap(([name, list]) => list.map((e) => sql`(${p.id}, ${name}, ${JSON.stringify(e.properties)}, ${e.at})`)),
  )
  if (events.length > 0) await sql`INSERT INTO events (profile_id, name, properties, at) VALUES ${sql.join(events)}`.execute(db)
}

/**
 * The engine evaluates over only the occurrences eventNeeds() asks for; verdicts and next changes
 * must be those over every occurrence.
 */
async function checkBoundedEvents(db: Kysely<Database>, profiles: readonly SegmentProfile[], conditions: readonly Condition[]): Promise<void> {
  const needs = eventNeeds(conditions)
  const loaded = await loadSegmentEvents(db, { profileIds: profiles.map((p) => p.id) }, needs, NOW)
  for (const profile of profiles) {
    const bounded = { ...profile, events: loaded.get(profile.id) ?? new Map() }
    for (const condition of conditions) {
      expect(evaluate(condition, bounded, { now: NOW })).toBe(evaluate(condition, profile, { now: NOW }))
      expect(nextTimeChange(condition, bounded, NOW)).toBe(nextTimeChange(condition, profile, NOW))
    }
  }
}

async function checkAgreement(db: Kysely<Database>, dialect: SqlDialect, numRuns: number): Promise<void> {
  // Agreement on "nobody" or "everybody" proves little, so the run must also contain real splits.
  let checks = 0
  let splits = 0
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async ({ profiles, conditions }) => {
      await storeProfiles(db, profiles)
      for (const condition of conditions) {
        const rows = await db
          .selectFrom('profiles')
          .select('id')
          .where(compileCondition(condition, { dialect, now: NOW }))
          .orderBy('id')
          .execute()
        const expected = profiles.filter((profile) => evaluate(condition, profile, { now: NOW })).map((profile) => profile.id)
        expect(rows.map((row) => row.id)).toEqual(expected)
        checks++
        if (expected.length > 0 && expected.length < profiles.length) splits++
      }
      await checkBoundedEvents(db, profiles, conditions)
    }),
    { numRuns, seed: SEED },
  )
  expect(splits).toBeGreaterThan(checks / 3)
}

/** Event windows to the millisecond, fractional starts included, where random cases rarely land. */
async function checkWindowEdges(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const blank: SegmentProfile = {
    ...{ id: '', email: null, phone: null, city: null, state: null, country: null, country_code: null, age: null, gender: null, income: null, education: null },
    ...{ traits: {}, first_seen: NOW, last_seen: NOW, interests: [], cohorts: new Map(), consent: {}, segments: new Set(), events: new Map() },
  }
  const ago = [0, 1, 29_999, 30_000, 30_001, 3_599_999, 3_600_000, 3_600_001, 7 * DAY - 1, 7 * DAY, 7 * DAY + 1]
  const profiles = ago.map((ms, index) => ({
    ...blank,
    id: `prof_${String(index).padStart(2, '0')}`,
    events: groupEvents([{ name: 'Add to Cart', at: NOW - ms, properties: {} }]),
  }))
  await storeProfiles(db, profiles)
  for (const window of [{ minutes: 0.5 }, { hours: 1 }, { hours: 1.0000001 }, { hours: 0.9999999 }, { days: 7 }]) {
    for (const definition of [{ event: 'Add to Cart', within_last: window }, { event: 'Add to Cart', within_last: window, count: { op: 'eq', value: 0 } }]) {
      const parsed = parseSegmentDefinition(definition)
      if (parsed.kind === 'rejected') throw new Error(JSON.stringify(parsed.detail))
      const rows = await db.selectFrom('profiles').select('id').where(compileCondition(parsed.value, { dialect, now: NOW })).orderBy('id').execute()
      const expected = profiles.filter((profile) => evaluate(parsed.value, profile, { now: NOW })).map((profile) => profile.id)
      expect(rows.map((row) => row.id), JSON.stringify(definition)).toEqual(expected)
      expect(expected.length).toBeGreaterThan(0)
      expect(expected.length).toBeLessThan(profiles.length)
    }
  }
}

// The closures ingest evaluates with (compile.ts) against the interpreter, over the same generated
// conditions and profiles, at times around the generated ones so relative tests fall on both sides.
describe('compiled conditions agree with the JS evaluator', () => {
  it('gives evaluate()\'s verdict for every generated condition, profile and time', () => {
    let held = 0
    let checks = 0
    fc.assert(
      fc.property(caseArbitrary, fc.integer({ min: -40 * DAY, max: 2 * DAY }), ({ profiles, conditions }, shift) => {
        for (const condition of conditions) {
          const compiled = compileClosure(condition)
          for (const profile of profiles) {
            for (const now of [NOW, NOW + shift]) {
              const expected = evaluate(condition, profile, { now })
              expect(compiled(profile, now)).toBe(expected)
              checks++
              if (expected) held++
            }
          }
        }
      }),
      { numRuns: 500, seed: SEED },
    )
    expect(held).toBeGreaterThan(checks / 20)
    expect(held).toBeLessThan(checks - checks / 20)
  })
})

describe('SQL agrees with the JS evaluator on SQLite', () => {
  let db: Kysely<Database>
  let dialect: SqlDialect
  beforeAll(async () => {
    const memory = new BetterSqlite3(':memory:')
    dialect = createSqliteDialect(memory)
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: memory }) })
    await createTables(db, dialect)
  })
  afterAll(async () => db.destroy())

  it('selects exactly the profiles evaluate() accepts', async () => {
    await checkAgreement(db, dialect, 300)
  })

  it('agrees on event windows to the millisecond', async () => {
    await checkWindowEdges(db, dialect)
  })
})

describe.runIf(process.env.DATABASE_URL)('SQL agrees with the JS evaluator on PostgreSQL', () => {
  const adminUrl = process.env.DATABASE_URL ?? ''
  const name = `cdp_test_seglang_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  let db: Kysely<Database>

  async function admin(statement: string): Promise<void> {
    // Guard: this helper drops whole databases; never point it at a real one.
    if (!name.includes('test')) throw new Error(`refusing to touch database "${name}"`)
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`)
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 2 }) }) })
    await createTables(db, postgresDialect)
  })
  afterAll(async () => {
    await db?.destroy()
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  })

  it('selects exactly the profiles evaluate() accepts', async () => {
    await checkAgreement(db, postgresDialect, 80)
  })

  it('agrees on event windows to the millisecond', async () => {
    await checkWindowEdges(db, postgresDialect)
  })
})
