// A fresh database per test file: a temporary SQLite file by default, or a throwaway PostgreSQL
// database when DATABASE_URL is set (CI sets it), dropped afterwards.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { type Config, loadConfig } from '../../src/config.ts'

export interface TestDatabase {
  config: Config
  env: Record<string, string>
  drop(): Promise<void>
}

export const backend = process.env.DATABASE_URL ? 'postgres' : 'sqlite'

function assertTestName(name: string): void {
  // Guard: these helpers create and drop whole databases; never point them at a real one.
  if (!name.includes('test')) throw new Error(`refusing to drop database "${name}": its name does not contain "test"`)
}

export async function createTestDatabase(overrides: Record<string, string> = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-test-'))
  const base: Record<string, string> = { CDP_DATA_DIR: dataDir, CDP_LOG_LEVEL: 'silent', ...overrides }
  const url = process.env.DATABASE_URL
  if (!url) {
    return {
      config: loadConfig(base),
      env: base,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    }
  }
  const name = `cdp_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  assertTestName(name)
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const testUrl = new URL(url)
  testUrl.pathname = `/${name}`
  const env = { ...base, DATABASE_URL: testUrl.toString() }
  return {
    config: loadConfig(env),
    env,
    drop: async () => {
      assertTestName(name)
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
