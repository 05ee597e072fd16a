// The one raw-record builder: every record, accepted or not, becomes a raw row (payload as received,
// content hash) and what the stages after the raw store need from it.
import { createHash } from 'node:crypto'
import { stringifyDeep, tooDeepMessage } from '../../domain/json-value.ts'
import type { NewRawRecord } from '../../domain/raw-record.ts'
import type { FieldIssue, IncomingRecord, Observation } from '../../domain/types.ts'
import type { MessageFacts, PreparedRecord } from '../records.ts'

/** The raw row's fields that do not depend on the record's content. */
export type RawBase = Omit<NewRawRecord, 'payload' | 'contentHash' | 'status' | 'errors' | 'cookie' | 'email' | 'observedAt'>

/**
 * JSON with object keys sorted, so that key order never makes two equal records look different.
 * Recursive: only for values within MAX_JSON_DEPTH (prepare checks first).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export function contentHash(source: string, payload: string): string {
  // 128 bits of SHA-256 are plenty to tell records apart, and keep the unique index small.
  return createHash('sha256').update(source).update('\u0000').update(payload).digest('base64url').slice(0, 22)
}

/** A rejected record: stored as received with its errors, applied to no profile. */
export function rejectedRecord(index: number, raw: RawBase & { payload: string; contentHash: string; cookie?: string | null }, errors: FieldIssue[]): PreparedRecord {
  return { index, raw: { cookie: null, ...raw, status: 'rejected', errors, email: null, observedAt: null }, observation: null, errors, warnings: [] }
}

/** An accepted record: its raw row carries the warnings and the identifiers read from it. */
export function acceptedRecord(
  index: number,
  raw: RawBase & { payload: string; contentHash: string },
  accepted: { observation: Observation; warnings: FieldIssue[] },
  message?: MessageFacts,
): PreparedRecord {
  const o = accepted.observation
  return {
    index,
    raw: { ...raw, status: 'accepted', errors: accepted.warnings.length > 0 ? accepted.warnings : null, cookie: o.cookie, email: o.email, observedAt: o.observedAt },
    observation: o,
    errors: [],
    warnings: accepted.warnings,
    ...(message ? { message } : {}),
  }
}

/**
 * A record nested deeper than MAX_JSON_DEPTH fails alone, before anything walks it recursively; its
 * payload is still stored as received.
 */
export function tooDeepRecord(record: IncomingRecord, base: RawBase, where: string): PreparedRecord {
  const payload = stringifyDeep(record.value)
  return rejectedRecord(record.index, { ...base, payload, contentHash: contentHash(base.source, payload) }, [{ field: where, reason: 'too_deep', message: tooDeepMessage(where) }])
}

/** A record that was not JSON (or CSV) at all: its text is kept, its hash is the text's. */
export function unparseableRecord(index: number, base: RawBase, value: { text?: string; message: string }): PreparedRecord {
  const text = value.text ?? ''
  // Kept as a JSON string: the text comes back exactly (GET /api/raw decodes it), and a NUL in
  // it is the escape \u0000, which PostgreSQL text can hold. The hash stays that of the text.
  const payload = JSON.stringify(text)
  return rejectedRecord(index, { ...base, payload, contentHash: contentHash(base.source, text) }, [{ field: '', reason: 'unparseable', message: value.message }])
}
