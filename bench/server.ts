// The server under benchmark, as its own process so that its peak RSS is its own.
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'

export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 1024)
}

export async function startServer(env: Record<string, string>, key: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
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
