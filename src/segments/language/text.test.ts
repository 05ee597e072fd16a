import { describe, expect, it } from 'vitest'
import { foldCase, parseMoney } from '../../domain/text-compare.ts'

describe('parseMoney', () => {
  it.each([
    ['100000', 100_000],
    ['$100k', 100_000],
    ['$100K', 100_000],
    ['100,000', 100_000],
    ['1.5m', 1_500_000],
    ['$2.5M', 2_500_000],
    ['0', 0],
    ['007', 7],
    ['$75,000-$100,000', 75_000],
    ['$50k - $75k', 50_000],
    ['$100,000+', 100_000],
    [' 60k ', 60_000],
  ])('reads %s as %d', (text, amount) => {
    expect(parseMoney(text)).toBe(amount)
  })

  it.each(['', '$', 'k', 'abc', '1.', '.5', '1.2.3', '$$5', '1e3', '-5', '1234567890123456', '100 k', '+', '-', '$-5'])('refuses %j', (text) => {
    expect(parseMoney(text)).toBeNull()
  })
})

describe('foldCase', () => {
  it('folds only ASCII letters, like SQLite lower()', () => {
    expect(foldCase('PaRiS Éa')).toBe('paris Éa')
  })
})
