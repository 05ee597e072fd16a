// Start-up time and RSS of the server, built (`node dist/main.js start`, what `npm start` runs) against
// TypeScript through tsx: three alternating runs each on an empty data directory, from spawn to
// /health answering, RSS (of the process and its children) half a second later.
//   npm run build && node scripts/measure-startup.mjs
/* global fetch, setTimeout, performance */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const MODES = {
  dist: ['dist/main.js', 'start'],
  tsx: ['--import', 'tsx', 'src/main.ts', 'start'],
}

/** Resident set of a process and its descendants, in MB (Linux /proc). */
function rssOfTree(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  let kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
  for (const child of children) kb += rssOfTree(child) * 1024
  return kb / 1024
}

async function waitForHealth(port, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before answering /health (run npm run build first)`)
    const answered = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)
    if (answered) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let port = 18300
for (let round = 0; round < 3; round++) {
  for (const [name, args] of Object.entries(MODES)) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-startup-'))
    port++
    const started = performance.now()
    const child = spawn(process.execPath, args, { env: { ...process.env, CDP_DATA_DIR: dataDir, PORT: String(port) }, stdio: 'ignore' })
    await waitForHealth(port, child)
    const ms = Math.round(performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, 500))
    console.log(`${name}\tstart ${ms} ms\trss ${Math.round(rssOfTree(child.pid))} MB`)
    child.kill('SIGTERM')
    await new Promise((resolve) => child.on('exit', resolve))
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}
