import { describe, expect, it } from 'vitest'
import {
  allFields,
  apiSectionSchema,
  apiSectionValues,
  fieldColumns,
  fieldGroups,
  fieldsFromColumns,
  fieldsToColumns,
  PROFILE_FIELDS,
  type ProfileFieldTable,
  segmentFields,
} from './profile-fields.ts'

// The real table plus two fields a deployment might add: everything derived must pick them up.
const WITH_EXTRA: ProfileFieldTable = {
  ...PROFILE_FIELDS,
  loyalty_tier: { type: 'text', column: 'loyalty_tier', group: null, segment: 'text', api: 'demographics', description: 'loyalty programme tier' },
  postcode: { type: 'text', column: 'postcode', group: 'location', segment: 'text', api: 'location_detail', description: 'postal code' },
}

describe('the profile field table', () => {
  it('an added field flows into columns, row mapping, groups, segment kinds and the API schema', () => {
    expect(fieldColumns(WITH_EXTRA)).toEqual(expect.arrayContaining(['loyalty_tier', 'postcode', 'income_amount']))
    const row = fieldsToColumns({ loyalty_tier: 'gold', age: 41, income: '$75,000-$100,000' }, WITH_EXTRA)
    expect(row).toMatchObject({ loyalty_tier: 'gold', postcode: null, age: 41, income: '$75,000-$100,000', income_amount: 75_000 })
    expect(fieldsFromColumns({ ...row, age: '41' }, WITH_EXTRA)).toEqual({ loyalty_tier: 'gold', age: 41, income: '$75,000-$100,000' })
    expect(fieldGroups(WITH_EXTRA).location).toEqual(['city', 'state', 'country', 'country_code', 'postcode'])
    expect(segmentFields('text', WITH_EXTRA)).toContain('loyalty_tier')
    expect(Object.keys(apiSectionSchema('demographics', WITH_EXTRA).properties)).toEqual(['age', 'gender', 'income', 'education', 'loyalty_tier'])
    expect(apiSectionValues({ loyalty_tier: 'gold', city: 'Austin' }, 'demographics', WITH_EXTRA)).toEqual({ age: null, gender: null, income: null, education: null, loyalty_tier: 'gold' })
    expect(allFields({ postcode: '78701' }, WITH_EXTRA)).toMatchObject({ postcode: '78701', loyalty_tier: null, city: null })
  })

  it('location is the one group, and the phone is not in it', () => {
    expect(fieldGroups()).toEqual({ location: ['city', 'state', 'country', 'country_code'] })
  })

  it('derived columns are computed from the value and null without one', () => {
    expect(fieldsToColumns({ income: 'not money' }).income_amount).toBeNull()
    expect(fieldsToColumns({}).income_amount).toBeNull()
    expect(fieldsToColumns({ income: '$100k' }).income_amount).toBe(100_000)
  })
})
