// `npm run demo:video --seconds 10`: the walkthrough recipe still records: the demo starts, Chromium is
// driven through every step, its screencast is encoded into a 1280x720 MP4. Skipped without Chromium
// or ffmpeg (Debian's packages).
import { execFile, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { backend, createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const hasChromium = fs.existsSync('/usr/bin/chromium')
const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0
const MISSING = [hasChromium ? '' : '/usr/bin/chromium', hasFfmpeg ? '' : 'ffmpeg'].filter(Boolean).join(' and ')
if (MISSING) console.warn(`demo video test skipped: ${MISSING} missing (apt-get install -y chromium ffmpeg)`)

let database: TestDatabase | undefined
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-demo-video-test-'))

afterAll(async () => {
  await database?.drop()
  fs.rmSync(outDir, { recursive: true, force: true })
})

describe.skipIf(MISSING !== '')(`npm run demo:video (${backend})`, () => {
  it('records a 10-second walkthrough into a 720p MP4, with a still per step', async () => {
    database = await createTestDatabase()
    const out = path.join(outDir, 'walkthrough.mp4')
    const env: Record<string, string> = { ...(process.env as Record<string, string>), CDP_DATA_DIR: database.config.dataDir }
    if (database.env.DATABASE_URL) env.DATABASE_URL = database.env.DATABASE_URL
    const { stdout } = await run(process.execPath, ['scripts/demo-video.mjs', '--tsx', '--seconds', '10', '--visitors', '300', '--out', out, '--stills', path.join(outDir, 'stills')], { cwd: ROOT, env })
    expect(stdout).toMatch(/wrote .*walkthrough\.mp4/)
    const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,codec_name:format=duration', '-of', 'json', out])
    const info = JSON.parse(probe.stdout) as { streams: Array<{ width: number; height: number; codec_name: string }>; format: { duration: string } }
    expect(info.streams[0]).toMatchObject({ width: 1280, height: 720, codec_name: 'h264' })
    expect(Number(info.format.duration)).toBeGreaterThan(5)
    const stills = fs.readdirSync(path.join(outDir, 'stills'))
    expect(stills.length).toBeGreaterThan(10)
  }, 120_000)
})
