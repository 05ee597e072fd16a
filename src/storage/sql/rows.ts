// Conversions between profile rows and the in-memory ProfileState; the field columns come from the
// field table (domain/profile-fields.ts).
import type { InterestSeen, ProfileState } from '../../domain/profile.ts'
import { fieldsFromColumns, fieldsToColumns, type ProfileFields } from '../../domain/profile-fields.ts'
import type { ProfilesTable } from './schema.ts'

export function profileFromRow(row: ProfilesTable, interests: Map<string, InterestSeen>): ProfileState {
  return {
    id: row.id,
    email: row.email,
    fields: fieldsFromColumns(row as unknown as Record<string, unknown>) as ProfileFields,
    fieldTimes: JSON.parse(row.field_times) as Record<string, number>,
    traits: JSON.parse(row.traits) as Record<string, unknown>,
    interests,
    consent: JSON.parse(row.consent) as ProfileState['consent'],
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    createdAt: Number(row.created_at),
  }
}

export function profileToRow(profile: ProfileState, now: number): ProfilesTable {
  return {
    id: profile.id,
    email: profile.email,
    // Derived columns (income_amount) are computed once at write time, so segment conditions
    // compare a number instead of parsing text per row.
    ...(fieldsToColumns(profile.fields) as unknown as Omit<ProfilesTable, 'id' | 'email' | 'traits' | 'field_times' | 'consent' | 'first_seen' | 'last_seen' | 'created_at' | 'updated_at'>),
    traits: JSON.stringify(profile.traits),
    field_times: JSON.stringify(profile.fieldTimes),
    consent: JSON.stringify(profile.consent),
    first_seen: Number.isFinite(profile.firstSeen) ? profile.firstSeen : now,
    last_seen: Number.isFinite(profile.lastSeen) ? profile.lastSeen : now,
    created_at: profile.createdAt,
    updated_at: now,
  }
}
