// Conversions between profile rows and the in-memory ProfileState.
import { parseMoney } from '../../domain/text-compare.ts'
import type { InterestSeen, ProfileState } from '../../domain/profile.ts'
import type { ProfilesTable } from './schema.ts'
import type { ProfileFields } from '../../domain/profile-fields.ts'

export function profileFromRow(row: ProfilesTable, interests: Map<string, InterestSeen>): ProfileState {
  const fields: ProfileFields = {}
  const put = <K extends keyof ProfileFields>(key: K, value: ProfileFields[K] | null) => {
    if (value !== null && value !== undefined) fields[key] = value
  }
  put('phone', row.phone)
  put('phone_raw', row.phone_raw)
  put('city', row.city)
  put('state', row.state)
  put('country', row.country)
  put('country_code', row.country_code)
  put('age', row.age === null ? null : Number(row.age))
  put('gender', row.gender)
  put('income', row.income)
  put('education', row.education)
  return {
    id: row.id,
    email: row.email,
    fields,
    fieldTimes: JSON.parse(row.field_times) as Record<string, number>,
    traits: JSON.parse(row.traits) as Record<string, unknown>,
    interests,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    createdAt: Number(row.created_at),
  }
}

export function profileToRow(profile: ProfileState, now: number): ProfilesTable {
  const f = profile.fields
  return {
    id: profile.id,
    email: profile.email,
    phone: f.phone ?? null,
    phone_raw: f.phone_raw ?? null,
    city: f.city ?? null,
    state: f.state ?? null,
    country: f.country ?? null,
    country_code: f.country_code ?? null,
    age: f.age ?? null,
    gender: f.gender ?? null,
    income: f.income ?? null,
    // Derived once at write time so segment conditions compare a number, not parse text per row.
    income_amount: f.income ? parseMoney(f.income) : null,
    education: f.education ?? null,
    traits: JSON.stringify(profile.traits),
    field_times: JSON.stringify(profile.fieldTimes),
    first_seen: Number.isFinite(profile.firstSeen) ? profile.firstSeen : now,
    last_seen: Number.isFinite(profile.lastSeen) ? profile.lastSeen : now,
    created_at: profile.createdAt,
    updated_at: now,
  }
}
