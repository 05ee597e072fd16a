// A field added to the table flows through storage: its column is written by the row mapping, the
// SQL compiler selects on it, and the selection agrees with the in-memory evaluator.
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, sql, SqliteDialect } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { PROFILE_FIELDS, type ProfileFieldTable, fieldColumns, fieldsToColumns } from '../../domain/profile-fields.ts'
import type { ProfileState } from '../../domain/profile.ts'
import { toSegmentProfile } from '../../segments/engine.ts'
import { evaluate } from '../../segments/language/evaluate.ts'
import { parseSegmentDefinition } from '../../segments/language/parse.ts'
import { compileCondition } from './condition-sql.ts'
import { createSqliteDialect } from './dialect/sqlite.ts'
import type { Database } from './schema.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const FIXTURE: ProfileFieldTable = {
  ...PROFILE_FIELDS,
  loyalty_tier: { type: 'text', column: 'loyalty_tier', group: null, segment: 'text', api: 'demographics', description: 'loyalty programme tier' },
  lifetime_orders: { type: 'integer', column: 'lifetime_orders', group: null, segment: 'number', api: 'demographics', description: 'orders ever placed' },
  spend: { type: 'text', column: 'spend', group: null, segment: 'money', api: 'demographics', derived: { column: 'spend_amount', type: 'real', compute: (t) => Number.parseFloat(t.replace(/[$,]/g, '')) || null }, description: 'spend as text' },
}

const sqlite = new BetterSqlite3(':memory:')
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
afterAll(async () => db.destroy())

function profile(id: string, fields: Record<string, string | number>): ProfileState {
  return { id, email: `${id}@example.com`, fields, fieldTimes: {}, traits: {}, interests: new Map(), consent: {}, firstSeen: NOW, lastSeen: NOW, createdAt: NOW }
}

/** The SQLite type of a fixture column: integers and derived amounts are numbers, the rest text. */
function columnType(column: string): string {
  for (const spec of Object.values(FIXTURE)) {
    if (spec.derived?.column === column) return 'real'
    if (spec.column === column) return spec.type === 'integer' ? 'integer' : 'text'
  }
  throw new Error(`no field has column ${column}`)
}

const PEOPLE = [
  profile('p1', { loyalty_tier: 'Gold', lifetime_orders: 12, spend: '$1,200' }),
  profile('p2', { loyalty_tier: 'silver', lifetime_orders: 3, spend: '$90' }),
  profile('p3', { lifetime_orders: 40, city: 'Austin' }),
  profile('p4', {}),
]

describe('a field added to the table, in SQL', () => {
  it('is written to its column and selected by the compiled condition exactly as the evaluator selects', async () => {
    const columns = fieldColumns(FIXTURE)
    expect(columns).toEqual(expect.arrayContaining(['loyalty_tier', 'lifetime_orders', 'spend', 'spend_amount']))
    sqlite.exec(`create table profiles (id text primary key, email text, traits text, first_seen integer, last_seen integer, ${columns.map((c) => `${c} ${columnType(c)}`).join(', ')})`)
    const insert = sqlite.prepare(`insert into profiles (id, email, traits, first_seen, last_seen, ${columns.join(', ')}) values (${['?', '?', '?', '?', '?', ...columns.map(() => '?')].join(', ')})`)
    for (const p of PEOPLE) {
      const row = fieldsToColumns(p.fields, FIXTURE)
      insert.run(p.id, p.email, '{}', p.firstSeen, p.lastSeen, ...columns.map((c) => row[c] ?? null))
    }
    const definitions = [
      { field: 'loyalty_tier', op: 'eq', value: 'gold' },
      { field: 'lifetime_orders', op: 'gte', value: 10 },
      { field: 'spend', op: 'gt', value: 100 },
      { any: [{ field: 'loyalty_tier', op: 'exists', value: true }, { field: 'city', op: 'eq', value: 'austin' }] },
      { not: { field: 'lifetime_orders', op: 'between', value: [1, 20] } },
    ]
    const dialect = createSqliteDialect(sqlite)
    for (const definition of definitions) {
      const parsed = parseSegmentDefinition(definition, FIXTURE)
      if (parsed.kind === 'rejected') throw new Error(`${JSON.stringify(definition)}: ${JSON.stringify(parsed.detail)}`)
      const filter = compileCondition(parsed.value, { dialect, now: NOW, fields: FIXTURE })
      const selected = (await db.selectFrom('profiles').select('id').where(filter).orderBy('id').execute()).map((r) => r.id)
      const expected = PEOPLE.filter((p) => evaluate(parsed.value, toSegmentProfile(p, { cohorts: new Map(), segments: new Set() }, FIXTURE), { now: NOW })).map((p) => p.id)
      expect(selected, JSON.stringify(definition)).toEqual(expected)
      expect(expected.length, `${JSON.stringify(definition)} selects someone`).toBeGreaterThan(0)
    }
    expect((await sql<{ n: number }>`select count(*) as n from profiles where spend_amount = 1200`.execute(db)).rows[0]?.n).toBe(1)
  })
})
