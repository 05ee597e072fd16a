// The server under benchmark, as its own process so that its peak RSS is its own.
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'

export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 1024)
}

export async function startServer(env: Record<string, string>, key: string): Promise<{ child: ChildProcess; url: string }> {
  const port = 30000 + Math.floor(Math.random() * 20000)
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    env: { ...process.env, ...env, PORT: String(port), CDP_ADMIN_KEY: key, CDP_LOG_LEVEL: 'warn', CDP_MAX_BODY_BYTES: String(50 * 1024 * 1024) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('listening on')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
  })
  return { child, url: `http://127.0.0.1:${port}` }
}
