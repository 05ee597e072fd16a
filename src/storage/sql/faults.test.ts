import { describe, expect, it } from 'vitest'
import { storageUnavailable } from './faults.ts'

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code })
}

describe('storageUnavailable', () => {
  it('names a full disk, on SQLite and on PostgreSQL', () => {
    for (const error of [withCode('database or disk is full', 'SQLITE_FULL'), withCode('could not extend file', '53100')]) {
      const mapped = storageUnavailable(error)
      expect(mapped?.code).toBe('unavailable')
      expect(mapped?.message).toContain('disk is full')
      expect(mapped?.cause).toBe(error)
    }
  })

  it('treats an unreachable, restarting or cut-off PostgreSQL as unavailable', () => {
    const errors = [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is shutting down', '57P03'),
      withCode('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'all attempts failed'),
      new Error('wrapped', { cause: withCode('read ECONNRESET', 'ECONNRESET') }),
    ]
    for (const error of errors) expect(storageUnavailable(error)?.message, error.message).toContain('unreachable or restarting')
  })

  it('leaves bugs and bad requests alone', () => {
    for (const error of [new Error('boom'), withCode('duplicate key', '23505'), withCode('syntax error', '42601'), withCode('constraint failed', 'SQLITE_CONSTRAINT'), 'text', null]) {
      expect(storageUnavailable(error)).toBeUndefined()
    }
  })
})
