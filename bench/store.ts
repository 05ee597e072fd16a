// A fresh store for one benchmark run: a temporary data dir, and on PostgreSQL a new database that is
// dropped afterwards (its name contains "test", as the test helpers that delete data require).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

export type Backend = 'sqlite' | 'postgres'

export interface FreshStore {
  /** The server's environment: CDP_DATA_DIR, and DATABASE_URL on PostgreSQL. */
  env: Record<string, string>
  dataDir: string
  cleanup(): Promise<void>
}

export function parseBackend(value: string | undefined): Backend {
  if (value === undefined || value === 'sqlite') return 'sqlite'
  if (value === 'postgres') return 'postgres'
  throw new Error(`--backend must be sqlite or postgres (got ${value})`)
}

async function onAdmin(pgUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

export async function freshStore(backend: Backend, options: { pgUrl: string; label: string }): Promise<FreshStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cdp-bench-${options.label}-`))
  const removeDir = async () => fs.rmSync(dataDir, { recursive: true, force: true })
  if (backend === 'sqlite') return { env: { CDP_DATA_DIR: dataDir }, dataDir, cleanup: removeDir }
  const name = `cdp_bench_test_${options.label.replace(/\W/g, '_')}_${Date.now()}`
  await onAdmin(options.pgUrl, `create database ${name}`)
  const url = new URL(options.pgUrl)
  url.pathname = `/${name}`
  return {
    env: { DATABASE_URL: url.toString(), CDP_DATA_DIR: dataDir },
    dataDir,
    cleanup: async () => {
      await onAdmin(options.pgUrl, `drop database if exists ${name} with (force)`)
      await removeDir()
    },
  }
}
