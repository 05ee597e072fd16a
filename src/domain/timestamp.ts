// Record timestamps → epoch ms. Strict on purpose: Date.parse reads "2024-02-30" as March 1st and a
// time without an offset as server-local time, and either would silently misdate a profile.

// Epoch numbers below this are seconds: 1e11 ms is in 1973, 1e11 s in the year 5138.
const SECONDS_LIMIT = 1e11
const MAX_EPOCH_MS = 8.64e15 // the largest time a Date can hold

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*([Zz])|\s*([+-])(\d{2}):?(\d{2})?)?)?$/
const EPOCH_TEXT = /^\d+(?:\.\d+)?$/

/** Epoch ms from an ISO-8601 date(-time), epoch seconds or epoch ms (number or digits); null when unreadable. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value === 'number') return fromEpoch(value)
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (EPOCH_TEXT.test(text)) return fromEpoch(Number(text))
  return fromIso(text)
}

function fromEpoch(n: number): number | null {
  if (!Number.isFinite(n) || n < 0) return null
  const ms = Math.round(n < SECONDS_LIMIT ? n * 1000 : n)
  return ms <= MAX_EPOCH_MS ? ms : null
}

function fromIso(text: string): number | null {
  const match = ISO_8601.exec(text)
  if (!match) return null
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', , sign, offsetHours, offsetMinutes = '0'] = match
  const y = Number(year)
  const mo = Number(month)
  const d = Number(day)
  const h = Number(hour)
  const mi = Number(minute)
  const s = Number(second)
  const oh = Number(offsetHours ?? '0')
  const om = Number(offsetMinutes)
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return null
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'))
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not. No offset means UTC.
  const utc = new Date(0)
  utc.setUTCFullYear(y, mo - 1, d)
  utc.setUTCHours(h, mi, s, ms)
  const offset = (oh * 60 + om) * 60_000 * (sign === '-' ? -1 : 1)
  return utc.getTime() - offset
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}
