// Reading loosely typed record values: JSON gives numbers and nulls, CSV gives strings for everything.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Absent, for an optional field: missing, null, or a blank string (an empty CSV cell). */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
}

/** Trims and turns every run of whitespace inside into one space. */
export function collapseWhitespace(text: string): string {
  return text.trim().replace(/\s+/g, ' ')
}

const MAX_QUOTED_LENGTH = 80

/** A value as an error message shows it: strings quoted (and shortened), containers named by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH - 3)}...` : value
    return JSON.stringify(shown)
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

/** Sets an own property, "__proto__" included (plain assignment would replace the object's prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}
