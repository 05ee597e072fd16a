// Agreement between the SQL compiler and the JS evaluator: random conditions over random profiles
// must select the same profiles from a real SQLite database, and from PostgreSQL when DATABASE_URL is set.
import { randomUUID } from 'node:crypto'
import BetterSqlite3 from 'better-sqlite3'
import fc from 'fast-check'
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../storage/sql/schema.ts'
import { evaluate, type SegmentProfile } from './evaluate.ts'
import { type Condition, parseSegmentDefinition } from './parse.ts'
import { compileCondition, type SqlDialectName } from './sql.ts'
import { parseMoney } from './text.ts'

const SEED = Number(process.env.CDP_PROPERTY_SEED ?? 20261122)
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const DAY = 86_400_000
const COHORT_NAMES = ['Sports', 'MUSIC', 'tech']
const SEGMENT_IDS = ['seg_a', 'seg_b', 'seg_c']
const TRAIT_KEYS = ['plan', 'score', 'vip', 'location.floor']
const TEXT_FIELDS = ['email', 'phone', 'city', 'state', 'country', 'country_code', 'gender', 'education']

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
    segments: fc.uniqueArray(fc.constantFrom(...SEGMENT_IDS), { maxLength: 2 }).map((ids) => new Set(ids)),
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
      fc.record({
        op: fc.constantFrom('within_last', 'before_last'),
        value: fc.oneof(
          fc.record({ days: fc.integer({ min: 1, max: 40 }) }),
          fc.record({ hours: fc.double({ min: 0.5, max: 900, noNaN: true }) }),
          fc.record({ minutes: fc.integer({ min: 1, max: 5000 }) }),
        ) as fc.Arbitrary<unknown>,
      }),
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
  if (!parsed.ok) throw new Error(`generator produced an invalid definition: ${JSON.stringify(parsed.errors)}`)
  return parsed.condition
})

const caseArbitrary = fc.record({
  profiles: fc.tuple(...Array.from({ length: 8 }, (_, index) => profileArbitrary(`prof_${index}`))),
  conditions: fc.array(conditionArbitrary, { minLength: 1, maxLength: 6 }),
})

async function createTables(db: Kysely<Database>, dialect: SqlDialectName): Promise<void> {
  const bigint = dialect === 'postgres' ? sql`bigint` : sql`integer`
  const real = dialect === 'postgres' ? sql`double precision` : sql`real`
  await sql`CREATE TABLE profiles (id text PRIMARY KEY, email text, phone text, city text, state text, country text,
    country_code text, age integer, gender text, income text, income_amount ${real}, education text, traits text NOT NULL,
    first_seen ${bigint} NOT NULL, last_seen ${bigint} NOT NULL)`.execute(db)
  await sql`CREATE TABLE profile_interests (profile_id text NOT NULL, interest text NOT NULL)`.execute(db)
  await sql`CREATE TABLE cohorts (id text PRIMARY KEY, name text NOT NULL, name_key text NOT NULL)`.execute(db)
  await sql`CREATE TABLE cohort_memberships (cohort_id text NOT NULL, profile_id text NOT NULL, score ${real} NOT NULL)`.execute(db)
  await sql`CREATE TABLE segment_memberships (segment_id text NOT NULL, profile_id text NOT NULL)`.execute(db)
  for (const [index, name] of COHORT_NAMES.entries()) {
    await sql`INSERT INTO cohorts (id, name, name_key) VALUES (${`coh_${index}`}, ${name}, ${name.toLowerCase()})`.execute(db)
  }
}

async function storeProfiles(db: Kysely<Database>, profiles: readonly SegmentProfile[]): Promise<void> {
  for (const table of ['profiles', 'profile_interests', 'cohort_memberships', 'segment_memberships']) {
    await sql`DELETE FROM ${sql.table(table)}`.execute(db)
  }
  // One multi-row INSERT per table keeps a run to a few round trips on PostgreSQL.
  const profileRows = profiles.map(
    (p) => sql`(${p.id}, ${p.email}, ${p.phone}, ${p.city}, ${p.state}, ${p.country}, ${p.country_code}, ${p.age}, ${p.gender},
      ${p.income}, ${p.income === null ? null : parseMoney(p.income)}, ${p.education}, ${JSON.stringify(p.traits)}, ${p.first_seen}, ${p.last_seen})`,
  )
  await sql`INSERT INTO profiles (id, email, phone, city, state, country, country_code, age, gender, income, income_amount, education, traits, first_seen, last_seen)
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
}

async function checkAgreement(db: Kysely<Database>, dialect: SqlDialectName, numRuns: number): Promise<void> {
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
    }),
    { numRuns, seed: SEED },
  )
  expect(splits).toBeGreaterThan(checks / 3)
}

describe('SQL agrees with the JS evaluator on SQLite', () => {
  let db: Kysely<Database>
  beforeAll(async () => {
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) })
    await createTables(db, 'sqlite')
  })
  afterAll(async () => db.destroy())

  it('selects exactly the profiles evaluate() accepts', async () => {
    await checkAgreement(db, 'sqlite', 300)
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
    await createTables(db, 'postgres')
  })
  afterAll(async () => {
    await db?.destroy()
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  })

  it('selects exactly the profiles evaluate() accepts', async () => {
    await checkAgreement(db, 'postgres', 80)
  })
})
