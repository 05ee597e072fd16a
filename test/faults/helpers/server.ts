// The real server (`cdp start`) as a child process, for tests that kill it: one node process
// (tsx as an import hook, not tsx's CLI, which would put a second process between us and the server).
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MAX_OUTPUT = 64 * 1024

export interface ServerProcess {
  /** http://127.0.0.1:PORT */
  url: string
  /** The server's stdout and stderr so far (the last 64 KB), to show when a test fails. */
  output(): string
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>
}

/** Starts `cdp start` with `env` (and PORT=0) and resolves once it listens. */
export function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const kill = async (signal: 'SIGKILL' | 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill('SIGKILL')
      reject(new Error(`the server did not start within 60 s:\n${output}`))
    }, 60_000)
    const onData = () => {
      const match = /CDP listening on (http:\/\/\S+)/.exec(output)
      if (!match) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      resolve({ url: match[1] as string, output: () => output, kill })
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the server exited before listening (${signal ?? code}):\n${output}`))
    })
  })
}
