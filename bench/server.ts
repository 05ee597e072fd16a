// The server under benchmark, as its own process so that its peak RSS is its own.
// By default it runs as `npm start` does (node dist/main.js, built first when dist/ is missing or
// older than src/); `--server tsx` runs src/ through tsx as before, which costs ~40 MB RSS and start-up.
// BENCH_NODE_FLAGS passes extra flags to that node, e.g. "--cpu-prof --cpu-prof-dir=scratch/prof".
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export type ServerMode = 'dist' | 'tsx'

export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 1024)
}

export function parseServerMode(value: string | undefined): ServerMode {
  if (value === undefined || value === 'dist') return 'dist'
  if (value === 'tsx') return 'tsx'
  throw new Error(`--server must be dist or tsx (got ${value})`)
}

export function nodeFlags(): string[] {
  return (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag.length > 0)
}

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/**
 * Builds dist/ with the project's own build (scripts/build.mjs, which also builds the console: it has
 * no server-only mode, and the server users run serves that console) when it is missing or older than src/.
 */
export function ensureBuilt(): void {
  const main = path.resolve('dist/main.js')
  const stale = !fs.existsSync(main) || fs.statSync(main).mtimeMs < Math.max(newestSource(path.resolve('src')), fs.statSync('tsconfig.build.json').mtimeMs)
  if (!stale) return
  process.stderr.write('bench: dist/ is missing or older than src/: node scripts/build.mjs\n')
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (built.status !== 0) throw new Error(`scripts/build.mjs failed with status ${built.status}`)
}

/** The node arguments that run the CLI with `args`, in the given mode. */
export function cliArgs(mode: ServerMode, args: readonly string[]): string[] {
  const entry = mode === 'dist' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts']
  return [...nodeFlags(), ...entry, ...args]
}

export async function startServer(env: Record<string, string>, key: string, mode: ServerMode = 'dist'): Promise<{ child: ChildProcess; url: string }> {
  if (mode === 'dist') ensureBuilt()
  const child = spawn(process.execPath, cliArgs(mode, ['start']), {
    env: { ...process.env, ...env, PORT: '0', CDP_ADMIN_KEY: key, CDP_LOG_LEVEL: 'warn', CDP_MAX_BODY_BYTES: String(50 * 1024 * 1024) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const listening = /listening on (http:\/\/\S+)/.exec(out)
      if (listening?.[1]) resolve(listening[1])
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
  })
  return { child, url }
}

/** Stops the server with SIGTERM (so a --cpu-prof profile is written) and waits for it to exit. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}
