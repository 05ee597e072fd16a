import { describe, expect, it } from 'vitest'
import { parseIncome } from './income.ts'

describe('parseIncome', () => {
  it.each([
    ['€50.000', { min: 50_000, max: 50_000, currency: 'EUR' }],
    ['50.000 €', { min: 50_000, max: 50_000, currency: 'EUR' }],
    ['£40k', { min: 40_000, max: 40_000, currency: 'GBP' }],
    ['50000 EUR', { min: 50_000, max: 50_000, currency: 'EUR' }],
    ['50000 eur', { min: 50_000, max: 50_000, currency: 'EUR' }],
    ['USD 1,234.56', { min: 1234.56, max: 1234.56, currency: 'USD' }],
    ['€1.234,56', { min: 1234.56, max: 1234.56, currency: 'EUR' }],
    ['$75,000-$100,000', { min: 75_000, max: 100_000, currency: 'USD' }],
    ['$75,000 – $100,000', { min: 75_000, max: 100_000, currency: 'USD' }],
    ['40k-60k', { min: 40_000, max: 60_000, currency: null }],
    ['40-60k', { min: 40_000, max: 60_000, currency: null }],
    ['40k to 60k GBP', { min: 40_000, max: 60_000, currency: 'GBP' }],
    ['$100,000+', { min: 100_000, max: null, currency: 'USD' }],
    ['under $25k', { min: null, max: 25_000, currency: 'USD' }],
    ['CHF 120\'000', { min: 120_000, max: 120_000, currency: 'CHF' }],
    ['50 000 €', { min: 50_000, max: 50_000, currency: 'EUR' }],
    ['1,5k €', { min: 1500, max: 1500, currency: 'EUR' }],
    ['R$ 60.000', { min: 60_000, max: 60_000, currency: 'BRL' }],
    ['C$80k', { min: 80_000, max: 80_000, currency: 'CAD' }],
    ['¥5,000,000', { min: 5_000_000, max: 5_000_000, currency: 'JPY' }],
    ['65000', { min: 65_000, max: 65_000, currency: null }],
    ['1.5m', { min: 1_500_000, max: 1_500_000, currency: null }],
    ['$60k per year', { min: 60_000, max: 60_000, currency: 'USD' }],
  ])('reads %j', (text, expected) => {
    expect(parseIncome(text)).toEqual(expected)
  })

  it.each(['prefer not to say', 'lots', '', '$', '€10k-$20k', '$100k-$50k', 'XYZ 500', '1e5', '12345678901234567', '-5000', '10-20-30'])(
    'says it cannot read %j',
    (text) => {
      expect(parseIncome(text)).toBeNull()
    },
  )
})
