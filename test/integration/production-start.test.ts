// The server as production runs it: built JavaScript (scripts/build.mjs, what `npm install` runs), started
// with `npm start` or the `cdp` bin, and stopped by SIGTERM to the process the operator started. The
// build goes to a throwaway folder beside dist/ (about 10 s), so the test checks this tree, not a stale dist/.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// Built code finds data/ and docs/ relative to itself, so the build must sit directly in the repository.
const BUILD = path.join(ROOT, `.dist-test-${randomUUID().slice(0, 8)}`)
const START_SCRIPT = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
const supported = process.platform === 'linux'

let database: TestDatabase
let app: string

beforeAll(async () => {
  if (!supported) return
  // A run that died before its afterAll leaves its build behind.
  for (const name of fs.readdirSync(ROOT)) if (name.startsWith('.dist-test-')) fs.rmSync(path.join(ROOT, name), { recursive: true, force: true })
  await run(process.execPath, ['scripts/build.mjs', path.basename(BUILD)], { cwd: ROOT })
  // A package that is this one as installed: the same start script and bin, with dist/ being the fresh build.
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-production-'))
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'cdp-production-test', private: true, type: 'module', scripts: { start: START_SCRIPT } }))
  fs.symlinkSync(BUILD, path.join(app, 'dist'))
  // The old start script (tsx src/main.ts) needs these too, so the test can be run against it.
  fs.symlinkSync(path.join(ROOT, 'src'), path.join(app, 'src'))
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'))
  fs.mkdirSync(path.join(app, 'bin'))
  fs.copyFileSync(path.join(ROOT, 'bin', 'cdp.js'), path.join(app, 'bin', 'cdp.js'))
}, 120_000)

afterAll(() => {
  fs.rmSync(BUILD, { recursive: true, force: true })
  if (app) fs.rmSync(app, { recursive: true, force: true })
})

/** Pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // the process ended while we looked: not a child any more
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid === pid) children.push(Number(entry))
  }
  return children
}

function descendantsOf(pid: number): number[] {
  return childrenOf(pid).flatMap((child) => [child, ...descendantsOf(child)])
}

function commandLine(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
}

/** Alive and not a zombie waiting for its parent. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function waitFor(failure: () => string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${failure()} after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Started {
  child: ChildProcess
  port: number
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

async function start(command: string, args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(command, args, { cwd: app, env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: '0', CDP_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  try {
    await waitFor(() => 'no "CDP listening on"', () => /CDP listening on http:\/\/127\.0\.0\.1:\d+/.test(output) || child.exitCode !== null, 60_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}:\n${output}`)
  }
  const port = Number(/CDP listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1])
  if (!port) throw new Error(`the server exited before listening:\n${output}`)
  return { child, port, output: () => output, exited }
}

/** The SQLite file was closed by the server: SQLite removes the -wal file on a clean last close. */
function expectClosedCleanly(dataDir: string): void {
  if (backend !== 'sqlite') return
  const file = path.join(dataDir, 'cdp.sqlite')
  expect(fs.existsSync(`${file}-wal`), 'a -wal file left: the database was not closed').toBe(false)
  const db = new Database(file)
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  } finally {
    db.close()
  }
}

describe.skipIf(!supported)('built JavaScript in production', () => {
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(async () => database?.drop())

  it('npm start runs one server process, answers /health, prints the first key, and SIGTERM to npm stops it all', async () => {
    const server = await start('npm', ['start'], database.env)
    const npm = server.child.pid as number
    const children = childrenOf(npm)
    const tree = descendantsOf(npm)
    const commands = tree.map(commandLine)
    try {
      const health = await fetch(`http://127.0.0.1:${server.port}/health`)
      expect(health.status).toBe(200)
      // The build serves the console at / (scripts/build.mjs bundles web/ beside the server).
      const page = await fetch(`http://127.0.0.1:${server.port}/`)
      expect(page.headers.get('cache-control')).toBe('no-cache')
      expect(await page.text()).toMatch(/<script type="module"[^>]* src="\/assets\/index-[\w-]+\.js"/)
      expect(server.output()).toMatch(/shown only this once[^]*\scdp_[A-Za-z0-9_-]{20,}\s/)

      server.child.kill('SIGTERM')
      const exit = await Promise.race([server.exited, new Promise<undefined>((resolve) => setTimeout(resolve, 10_000))])
      expect(exit, `npm still running 10 s after SIGTERM:\n${server.output()}`).toBeDefined()
      await waitFor(() => `still running after SIGTERM to npm: ${tree.filter(isRunning).map(commandLine).join(', ')}`, () => !tree.some(isRunning), 5_000)
      expect(await answers(server.port)).toBe(false)
      expect(server.output()).toContain('"signal":"SIGTERM"')
      expectClosedCleanly(database.env.CDP_DATA_DIR as string)
      // npm's only child was the server itself: no shell or tsx between them to swallow the signal.
      expect(children).toHaveLength(1)
      expect(tree).toEqual(children)
      expect(commands[0]).toMatch(/^\S*node\S* dist\/main\.js start$/)
    } finally {
      server.child.kill('SIGKILL')
      for (const pid of tree) if (isRunning(pid)) process.kill(pid, 'SIGKILL')
    }
  }, 90_000)

  it('the cdp bin serves in its own process and exits 0 on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = await start(process.execPath, ['bin/cdp.js', 'start'], database.env)
      try {
        expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200)
        expect(childrenOf(server.child.pid as number)).toEqual([])
        server.child.kill(signal)
        expect(await server.exited).toEqual({ code: 0, signal: null })
        expect(await answers(server.port)).toBe(false)
        expectClosedCleanly(database.env.CDP_DATA_DIR as string)
      } finally {
        server.child.kill('SIGKILL')
      }
    }
  }, 120_000)

  it('retrains in a worker thread started on train-worker.js, with no TypeScript loader', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-built-retrain-'))
    try {
      const script = `
        const { retrainInWorker } = await import(${JSON.stringify(new URL('ml/model/retrain.js', `file://${BUILD}/`).href)})
        const outDir = new URL(${JSON.stringify(`file://${outDir}/`)})
        const cohorts = [{ id: 'coh_pets', name: 'Pets', description: 'People who keep pets.', terms: ['pets'] }]
        const examples = [{ text: 'dog food', cohortIds: ['coh_pets'] }]
        const report = await retrainInWorker({ extras: { cohorts, examples }, outDir, epochs: 1 })
        const failure = await retrainInWorker({ extras: { cohorts: [], examples }, outDir: new URL('failed/', outDir) }).then(() => 'resolved', (error) => error.message)
        console.log(JSON.stringify({ version: report.version, failure }))
      `
      // A plain node: no tsx, no vitest, so only the built path can work.
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } })
      const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { version: string; failure: string }
      expect(result.version).toMatch(/^interest-model-[0-9a-f]{8}$/)
      expect(result.failure).toMatch(/retraining failed: .*unknown cohort coh_pets/)
      expect(fs.readdirSync(outDir)).toEqual(expect.arrayContaining(['model.bin', 'model.json']))
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true })
    }
  }, 120_000)
})
