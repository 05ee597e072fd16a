// The embedded store on a disk that fills up: a small tmpfs is the data directory and a filler file
// takes the rest of it. Ingest answers 503 `unavailable` naming the full disk (not 500), reads go on,
// and once the filler is deleted ingest works again, with every acknowledged record stored.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { ADMIN_KEY, openTestApp, type TestApp } from '../helpers/app.ts'
import { waitFor } from './helpers/load.ts'

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
function tmpfsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs'
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-faults-probe-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' })
    execFileSync('umount', [probe], { stdio: 'ignore' })
    return undefined
  } catch (error) {
    return `cannot mount a tmpfs: ${(error as Error).message}`
  } finally {
    fs.rmSync(probe, { recursive: true, force: true })
  }
}

const skipReason = tmpfsUnavailable()
if (skipReason) console.warn(`sqlite-disk-full: skipped: ${skipReason}`)

/** Writes until the disk refuses: afterwards not one more page fits. */
function fillDisk(file: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1)
  const fd = fs.openSync(file, 'w')
  try {
    for (;;) fs.writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    // The last partial chunk: fill the remaining bytes too.
    for (let size = 32 * 1024; size >= 512; size /= 2) {
      try {
        for (;;) fs.writeSync(fd, chunk.subarray(0, size))
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code !== 'ENOSPC') throw inner
      }
    }
  } finally {
    fs.closeSync(fd)
  }
}

describe.skipIf(skipReason !== undefined)('the embedded store on a full disk', () => {
  let dir: string
  let t: TestApp
  let sequence = 0

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-faults-disk-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir])
    const env = { CDP_DATA_DIR: path.join(dir, 'data'), CDP_ADMIN_KEY: ADMIN_KEY, CDP_LOG_LEVEL: 'silent' }
    const database = { config: loadConfig(env), env, drop: async () => undefined }
    // background: the server's write path (group commit, short transactions) and its loops.
    t = await openTestApp(database, { background: true })
  })

  afterAll(async () => {
    await t?.close()
    if (dir) {
      execFileSync('umount', [dir])
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  function batch(size: number): Array<Record<string, unknown>> {
    return Array.from({ length: size }, () => {
      const n = sequence++
      return { cookie: `disk-${n}`, email: `disk-${n}@example.com`, interests: 'hiking boots, trail maps', bio: 'x'.repeat(200) }
    })
  }

  it('answers 503 naming the full disk, keeps serving reads, and recovers when space is freed', async () => {
    const acknowledged: string[] = []
    const first = batch(50)
    expect((await t.ingest(first)).status).toBe(200)
    acknowledged.push(...first.map((r) => r.cookie as string))

    const filler = path.join(dir, 'filler')
    fillDisk(filler)

    // The write-ahead log has some room left from earlier writes: keep writing until it runs out.
    let refused: { status: number; body: unknown } | undefined
    for (let attempt = 0; attempt < 500 && !refused; attempt++) {
      const records = batch(50)
      const answer = await t.ingest(records)
      if (answer.status === 200) acknowledged.push(...records.map((r) => r.cookie as string))
      else refused = answer
    }
    expect(refused?.status).toBe(503)
    const error = (refused?.body as { error: { code: string; message: string; request_id: string } }).error
    expect(error.code).toBe('unavailable')
    expect(error.message).toContain('disk is full')
    expect(error.request_id).toMatch(/^req_/)

    // Still full: the next batches are refused the same way, one at a time.
    for (let i = 0; i < 3; i++) {
      const again = await t.ingest(batch(10))
      expect(again.status).toBe(503)
    }

    // Reads go on.
    const read = await t.user({ cookie: acknowledged[0] as string })
    expect(read.status).toBe(200)
    expect(read.body.user_profile.email).toBe('disk-0@example.com')

    fs.rmSync(filler)
    const after = batch(20)
    await waitFor('ingest to work again once space is freed', async () => {
      const answer = await t.ingest(after)
      expect([200, 503]).toContain(answer.status)
      return answer.status === 200
    })
    acknowledged.push(...after.map((r) => r.cookie as string))

    const missing: string[] = []
    for (const cookie of acknowledged) if ((await t.user({ cookie })).status !== 200) missing.push(cookie)
    expect(missing).toEqual([])
  })
})
