// A private PostgreSQL cluster for fault tests: its own data directory, port and socket directory,
// so a test can stop and start it without touching the shared server on 5432.
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './ports.ts'

const BIN = '/usr/lib/postgresql/15/bin'

export interface PostgresCluster {
  /** postgres://… to the cluster's `postgres` database. */
  url: string
  port: number
  /**
   * Fast shutdown: the server terminates every connection (57P01), as an operator's restart does.
   * Asynchronous, so the app under test keeps running while the server goes down.
   */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops the cluster and deletes its files. */
  destroy(): Promise<void>
}

/** Why a private cluster cannot run here, or undefined when it can. */
export function postgresClusterUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (initdb and pg_ctl run as the postgres user through runuser)'
  if (!fs.existsSync(path.join(BIN, 'initdb'))) return `no ${BIN}/initdb`
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' })
  } catch {
    return 'no postgres user'
  }
  return undefined
}

const execFileAsync = promisify(execFile)

async function asPostgres(command: string, args: string[]): Promise<void> {
  await execFileAsync('runuser', ['-u', 'postgres', '--', path.join(BIN, command), ...args])
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-faults-pg-'))
  fs.chownSync(root, uidOf('postgres'), gidOf('postgres'))
  const data = path.join(root, 'data')
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'])
  const port = await freePort()
  // fsync off: these tests stop the server cleanly or kill our process, never the machine.
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`
  const start = () => asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(root, 'server.log'), '-w', '-t', '60', 'start'])
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']),
    start,
    async destroy() {
      // A test that failed between stop and start leaves nothing running.
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      fs.rmSync(root, { recursive: true, force: true })
    },
  }
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim())
}

function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim())
}
