// Which storage failures mean "the database cannot serve right now" rather than a bug: PostgreSQL
// unreachable, restarting or out of connections, a disk that is full, a file locked by another
// process. They become AppError `unavailable` (503) in this one place, so a client is told to retry
// instead of being shown an internal error; the request fails alone and the server stays up.
import { AppError } from '../../errors.ts'

/** Node's socket errors while reaching PostgreSQL. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

/**
 * PostgreSQL SQLSTATEs that mean the server, not the request: 57P01 admin shutdown (a restart),
 * 57P02 crash shutdown, 57P03 cannot connect now (starting up or shutting down), 53300 too many
 * connections. Class 08 (connection exceptions) is matched by prefix.
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300'])

/** What pg and pg-pool throw, with no code, when a connection dies or cannot be had in time. */
const CONNECTION_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /is not queryable/]

const DISK_FULL = 'the database disk is full: retry once space is freed on the server (records sent again are stored once); reads still work'

/** The AppError a storage failure means for a client, or undefined when it is not an outage (a bug). */
export function storageUnavailable(error: unknown): AppError | undefined {
  for (const e of causes(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined
    // SQLITE_FULL: the file or its journal could not grow; 53100: PostgreSQL's disk_full.
    if (code === 'SQLITE_FULL' || code === '53100') return new AppError('unavailable', DISK_FULL, undefined, { cause: error })
    if (code === 'SQLITE_BUSY') {
      return new AppError('unavailable', 'the database is busy: another process holds its write lock; retry shortly', undefined, { cause: error })
    }
    const unreachable =
      (code !== undefined && (SOCKET_CODES.has(code) || SERVER_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) ||
      (typeof e.message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(e.message as string)))
    if (unreachable) {
      return new AppError('unavailable', 'the database is unreachable or restarting: retry shortly (records sent again are stored once)', undefined, { cause: error })
    }
  }
  return undefined
}

/** The error, what it wraps (`cause`) and what it aggregates (pg-pool and Node report several connection attempts as one). */
function* causes(error: unknown, depth = 0): Generator<{ code?: unknown; message?: unknown }> {
  if (error === null || typeof error !== 'object' || depth > 5) return
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
  yield e
  yield* causes(e.cause, depth + 1)
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* causes(inner, depth + 1)
}
