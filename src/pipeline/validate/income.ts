// Income as people write it ("€50.000", "£40k", "50000 EUR", "$75,000-$100,000", "40k-60k",
// "USD 1,234.56", "$100,000+") → an amount or a range, and an ISO 4217 currency when the text names
// one. The profile keeps the text as sent; this reading is what the API shows next to it.

export interface ParsedIncome {
  /** The lower bound, or the amount itself; null for "under $25k". */
  min: number | null
  /** The upper bound, or the amount itself; null for "$100k+". */
  max: number | null
  /** ISO 4217 code; null when the text names no currency ("40k-60k"). */
  currency: string | null
}

// "$" alone is read as US dollars, as US forms and exports mean it; other dollars carry a prefix.
const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = {
  $: 'USD',
  us$: 'USD',
  usd$: 'USD',
  c$: 'CAD',
  ca$: 'CAD',
  cad$: 'CAD',
  a$: 'AUD',
  au$: 'AUD',
  nz$: 'NZD',
  hk$: 'HKD',
  s$: 'SGD',
  mx$: 'MXN',
  r$: 'BRL',
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  '₩': 'KRW',
  '₽': 'RUB',
  '₺': 'TRY',
  '₪': 'ILS',
  '₱': 'PHP',
  '₫': 'VND',
  '₴': 'UAH',
  zł: 'PLN',
  fr: 'CHF',
}

const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'))

const MULTIPLIERS: Readonly<Record<string, number>> = { '': 1, k: 1_000, m: 1_000_000, mn: 1_000_000, mio: 1_000_000 }

// Up to 15 digits every engine reads text as the same double (as segments' parseMoney).
const MAX_DIGITS = 15

/** Reads an income; null when the text is not an amount or a range of amounts. */
export function parseIncome(text: string): Readonly<ParsedIncome> | null {
  // Incomes repeat (a form's brackets), and validation reads each record's; bounded like parseMoney's cache.
  const known = incomeCache.get(text)
  if (known !== undefined) return known
  const parsed = readIncome(text)
  if (incomeCache.size >= INCOME_CACHE_SIZE) incomeCache.clear()
  incomeCache.set(text, parsed === null ? null : Object.freeze(parsed))
  return parsed
}

const INCOME_CACHE_SIZE = 10_000
const incomeCache = new Map<string, Readonly<ParsedIncome> | null>()

function readIncome(text: string): ParsedIncome | null {
  let rest = text.normalize('NFKC').replace(/\s+/g, ' ').trim()
  // "per year", "/yr", "p.a.": incomes are yearly anyway.
  rest = rest.replace(/\s*(?:\/\s*|per |a )(?:year|yr|annum)$/i, '').replace(/\s*p\.?a\.?$/i, '').trim()

  let bound: 'lower' | 'upper' | null = null
  const upper = /^(?:under|below|less than|up to|<=?|≤)\s*/i.exec(rest)
  const lower = /^(?:over|above|more than|at least|>=?|≥)\s*/i.exec(rest)
  if (upper) {
    bound = 'upper'
    rest = rest.slice(upper[0].length)
  } else if (lower) {
    bound = 'lower'
    rest = rest.slice(lower[0].length)
  }
  const plus = /\s*(?:\+|or more|and (?:above|over|up))$/i.exec(rest)
  if (plus && bound === null) {
    bound = 'lower'
    rest = rest.slice(0, plus.index)
  }

  const sides = rest.split(/\s*(?:[-–—]|\bto\b)\s*/i)
  if (sides.length > 2 || (sides.length === 2 && bound !== null)) return null
  const amounts = sides.map(readAmount)
  if (amounts.some((a) => a === null)) return null
  const [low, high] = amounts as [Amount, Amount | undefined]

  if (!high) {
    const value = low.number * MULTIPLIERS[low.suffix]!
    if (!withinDigits(value)) return null
    if (bound === 'lower') return { min: value, max: null, currency: low.currency }
    if (bound === 'upper') return { min: null, max: value, currency: low.currency }
    return { min: value, max: value, currency: low.currency }
  }
  if (low.currency !== null && high.currency !== null && low.currency !== high.currency) return null
  // "40-60k" means 40k to 60k: the upper bound's unit carries over when the lower has none.
  const highValue = high.number * MULTIPLIERS[high.suffix]!
  let lowValue = low.number * MULTIPLIERS[low.suffix]!
  if (low.suffix === '' && high.suffix !== '' && low.number * MULTIPLIERS[high.suffix]! <= highValue) lowValue = low.number * MULTIPLIERS[high.suffix]!
  if (lowValue > highValue || !withinDigits(lowValue) || !withinDigits(highValue)) return null
  return { min: lowValue, max: highValue, currency: low.currency ?? high.currency }
}

interface Amount {
  number: number
  suffix: string
  currency: string | null
}

// A currency before or after, the number (separators and all), then a unit: "US$ 1,234.56", "50k€".
const AMOUNT = /^([^\d\s.,]*)\s*(\d(?:[\d.,' \u202f]*\d)?)\s*(k|mn|mio|m)?\s*([^\d\s.,]*)$/i

function readAmount(text: string): Amount | null {
  const match = AMOUNT.exec(text)
  if (!match) return null
  const [, before = '', digits = '', suffix = '', after = ''] = match
  if (before !== '' && after !== '') return null
  const currency = before !== '' ? toCurrency(before) : after !== '' ? toCurrency(after) : null
  if ((before !== '' || after !== '') && currency === null) return null
  const number = readNumber(digits)
  if (number === null) return null
  return { number, suffix: suffix.toLowerCase(), currency }
}

function toCurrency(text: string): string | null {
  const upper = text.toUpperCase()
  if (ISO_CURRENCIES.has(upper)) return upper
  return CURRENCY_SYMBOLS[text.toLowerCase()] ?? null
}

/**
 * "50.000" and "50,000" are both fifty thousand; "1,234.56" and "1.234,56" both have cents. With
 * both separators the later is the decimal point; one separator used once before exactly three
 * digits groups thousands (no income has three decimals); otherwise it is the decimal point.
 */
function readNumber(text: string): number | null {
  let digits = text.replace(/[' \u202f]/g, '')
  const lastDot = digits.lastIndexOf('.')
  const lastComma = digits.lastIndexOf(',')
  if (lastDot >= 0 && lastComma >= 0) {
    const decimal = lastDot > lastComma ? '.' : ','
    const grouping = decimal === '.' ? ',' : '.'
    digits = digits.replaceAll(grouping, '')
    if (digits.indexOf(decimal) !== digits.lastIndexOf(decimal)) return null
    digits = digits.replace(decimal, '.')
  } else if (lastDot >= 0 || lastComma >= 0) {
    const separator = lastDot >= 0 ? '.' : ','
    const count = digits.split(separator).length - 1
    const after = digits.length - 1 - digits.lastIndexOf(separator)
    digits = count > 1 || after === 3 ? digits.replaceAll(separator, '') : digits.replace(separator, '.')
  }
  if (!/^\d+(?:\.\d+)?$/.test(digits) || digits.replace('.', '').length > MAX_DIGITS) return null
  return Number(digits)
}

function withinDigits(value: number): boolean {
  return Number.isFinite(value) && value < 10 ** MAX_DIGITS
}
