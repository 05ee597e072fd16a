import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config.ts'
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
      expect(database.sqlite?.pragma('cache_size', { simple: true })).toBe(-65536)
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
