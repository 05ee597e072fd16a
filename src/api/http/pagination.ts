// Paging: the largest page any list route serves, and for member lists (cohort and segment
// members) paging by offset or by an opaque cursor that stays fast at any depth.
import { AppError } from '../../errors.ts'

export const MAX_PAGE = 1000
/** Offsets and ids past this cannot be exact in JSON numbers, nor held by SQLite's 64-bit integers. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER

// A cursor is the last profile id of the previous page, opaque to clients.
export function encodeCursor(profileId: string): string {
  return Buffer.from(profileId, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string): string {
  const profileId = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[A-Za-z0-9_]{1,64}$/.test(profileId)) {
    throw new AppError('invalid_input', 'cursor is not valid: pass the next_cursor of the previous page unchanged')
  }
  return profileId
}

export const pageQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 },
  offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
  cursor: { type: 'string', minLength: 1, maxLength: 200 },
} as const

/** 400 when a page query gives both offset and cursor; the caller decodes the cursor after its 404 checks. */
export function refuseOffsetWithCursor(query: { offset: number; cursor?: string }): void {
  if (query.cursor !== undefined && query.offset > 0) {
    throw new AppError('invalid_input', 'use either offset or cursor, not both: cursor already says where the page starts')
  }
}
