import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config.ts'
import { storageUnavailable } from './faults.ts'
import { openDatabase } from './open.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-open-'))
  dirs.push(dir)
  return dir
}

describe('CDP_SQLITE_PRAGMAS', () => {
  it('applies the operator settings over the defaults, page_size included on a new file', async () => {
    const config = loadConfig({ CDP_DATA_DIR: dataDir(), CDP_SQLITE_PRAGMAS: 'page_size=8192; wal_autocheckpoint = 4000;cache_size=-1024' })
    const database = await openDatabase(config)
    try {
      const writer = database.sqlite
      expect(writer?.pragma('page_size', { simple: true })).toBe(8192)
      expect(writer?.pragma('wal_autocheckpoint', { simple: true })).toBe(4000)
      expect(writer?.pragma('cache_size', { simple: true })).toBe(-1024)
      // Defaults the operator did not touch still hold.
      expect(writer?.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(writer?.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
      const reader = await sql<{ cache_size: number }>`pragma cache_size`.execute(database.reader)
      expect(reader.rows[0]?.cache_size).toBe(-1024)
    } finally {
      await database.close()
    }
  })

  it('keeps the defaults when unset', async () => {
    const database = await openDatabase(loadConfig({ CDP_DATA_DIR: dataDir() }))
    try {
      expect(database.sqlite?.pragma('cache_size', { simple: true })).toBe(-32768)
      expect(database.sqlite?.pragma('page_size', { simple: true })).toBe(4096)
    } finally {
      await database.close()
    }
  })

  it('refuses text that is not name=value, naming the variable and the expected form', () => {
    for (const bad of ['cache_size', 'cache_size=1; drop table profiles', 'x=(1)']) {
      expect(() => loadConfig({ CDP_SQLITE_PRAGMAS: bad })).toThrow(ConfigError)
      expect(() => loadConfig({ CDP_SQLITE_PRAGMAS: bad })).toThrow(/CDP_SQLITE_PRAGMAS: .*name=value/)
    }
  })
})

describe.runIf(process.env.DATABASE_URL)('PostgreSQL connections cut by the server', () => {
  it('survive: the pool reports the idle connection it lost and the next query gets a new one', async () => {
    const { createTestDatabase } = await import('../../../test/helpers/db.ts')
    const target = await createTestDatabase()
    const logged: string[] = []
    const database = await openDatabase(target.config, { log: (message) => logged.push(message) })
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    try {
      await sql`select 1`.execute(database.db) // one idle connection in the pool
      const name = new URL(target.env.DATABASE_URL as string).pathname.slice(1)
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name])
      const deadline = Date.now() + 5_000
      while (logged.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(logged).toEqual([expect.stringContaining('closed by the server')])
      const again = await sql<{ n: number }>`select 2 as n`.execute(database.db)
      expect(again.rows[0]?.n).toBe(2)
    } finally {
      await admin.end()
      await database.close()
      await target.drop()
    }
  })

  it('survive while checked out: a transaction cut between two statements fails as unavailable, and the process stays up', async () => {
    const { createTestDatabase } = await import('../../../test/helpers/db.ts')
    const target = await createTestDatabase()
    const logged: string[] = []
    const database = await openDatabase(target.config, { log: (message) => logged.push(message) })
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    try {
      const failure = await database.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
          await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid])
          // The client is checked out and idle between statements: the server's goodbye arrives as an
          // 'error' event on it, which killed the process before it had a listener.
          const deadline = Date.now() + 5_000
          while (logged.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
          await sql`select 1`.execute(trx)
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(storageUnavailable(failure)?.code).toBe('unavailable')
      expect(logged[0]).toContain('closed by the server')
      const again = await sql<{ n: number }>`select 3 as n`.execute(database.db)
      expect(again.rows[0]?.n).toBe(3)
    } finally {
      await admin.end()
      await database.close()
      await target.drop()
    }
  })
})
