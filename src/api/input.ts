// Limits every request's parsed input meets before its route sees it: query strings, path
// parameters and JSON bodies nest at most MAX_JSON_DEPTH levels (segment definitions are walked
// recursively) and hold only text PostgreSQL can store (no NUL, no lone surrogate), so a stray byte
// is a 400 that names the place instead of a 500 from the database. Ingest bodies arrive as text
// and are bounded record by record in the pipeline, where one bad record must not fail the rest.
import type { FastifyRequest } from 'fastify'
import { findTooDeep, findUnstorableText, MAX_JSON_DEPTH, tooDeepMessage } from '../domain/json-value.ts'
import { AppError } from '../errors.ts'

export function checkRequestInput(request: FastifyRequest): void {
  const parts: Array<[string, unknown]> = [
    ['querystring', request.query],
    ['params', request.params],
    ['body', typeof request.body === 'string' ? undefined : request.body],
  ]
  for (const [place, value] of parts) {
    if (value === undefined || value === null) continue
    const deep = findTooDeep(value, MAX_JSON_DEPTH)
    if (deep !== null) throw new AppError('invalid_input', `${place}: ${tooDeepMessage(`${place}.${deep}`)}`)
    const bad = findUnstorableText(value)
    if (bad !== null) {
      throw new AppError('invalid_input', `${place}.${bad} must be valid text: it holds a NUL character (\\u0000) or half of a UTF-16 surrogate pair; remove it`)
    }
  }
}

/**
 * After schema validation: Ajv coerces "1e309" to Infinity for an integer parameter and lets it
 * through its own maximum, so a non-finite number is refused here.
 */
export function checkCoercedNumbers(request: FastifyRequest): void {
  for (const [place, value] of [['querystring', request.query], ['params', request.params]] as const) {
    if (value === null || typeof value !== 'object') continue
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new AppError('invalid_input', `${place}.${key} must be a finite number (got ${v})`)
    }
  }
}
