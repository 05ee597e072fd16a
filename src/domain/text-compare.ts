// Case folding and money parsing shared by the JS evaluator and mirrored step by step in sql.ts.
// Both are deliberately simpler than Unicode or locale rules, because the SQL side must give the
// same answer on SQLite and PostgreSQL, and SQLite's lower() folds only A-Z.

/** Folds ASCII letters only: exactly what SQLite lower() does and what sql.ts builds for PostgreSQL. */
export function foldCase(text: string): string {
  // On ASCII text toLowerCase() is exactly this folding, and several times faster than a replace;
  // segment evaluation folds every compared value of every profile.
  return NON_ASCII.test(text) ? text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : text.toLowerCase()
}

const NON_ASCII = /[\u0080-\uffff]/

const PLAIN_DECIMAL = /^[0-9]+(\.[0-9]+)?$/
/**
 * Longer numbers are refused: up to 15 characters every engine converts text to the same double,
 * and PostgreSQL cannot overflow double precision.
 */
export const MONEY_MAX_DIGITS = 15

/**
 * Reads an amount like "$100k", "100,000", "1.5m" or "250000"; null when the text is not money.
 * Income is often a bracket: "$75,000-$100,000" reads as its lower bound and "$100,000+" as its
 * floor, so "income ≥ $75k" holds for both. The steps are the SQL ones in sql.ts (fold case, keep
 * what precedes a "-" that is not the first character, trim spaces, drop a trailing "+", drop one
 * leading "$", drop every ",", read a k/m suffix, then a plain decimal of at most 15 characters), so
 * both sides agree on every input.
 */
export function parseMoney(text: string): number | null {
  // Incomes repeat ("$50,000-$75,000"): evaluation reads each profile's once per income condition.
  const known = moneyCache.get(text)
  if (known !== undefined) return known
  const amount = readMoney(text)
  if (moneyCache.size >= MONEY_CACHE_SIZE) moneyCache.clear()
  moneyCache.set(text, amount)
  return amount
}

const MONEY_CACHE_SIZE = 10_000
const moneyCache = new Map<string, number | null>()

function readMoney(text: string): number | null {
  let rest = foldCase(text)
  const dash = rest.indexOf('-')
  if (dash > 0) rest = rest.slice(0, dash)
  rest = rest.replace(/^ +| +$/g, '')
  if (rest.endsWith('+')) rest = rest.slice(0, -1)
  if (rest.startsWith('$')) rest = rest.slice(1)
  rest = rest.replaceAll(',', '')
  let multiplier = 1
  if (rest.endsWith('k')) multiplier = 1_000
  else if (rest.endsWith('m')) multiplier = 1_000_000
  if (multiplier !== 1) rest = rest.slice(0, -1)
  if (rest.length > MONEY_MAX_DIGITS || !PLAIN_DECIMAL.test(rest)) return null
  return Number(rest) * multiplier
}
