// `cdp segments list|show|preview|export`: the segment API's reads from the command line.
import fs from 'node:fs'
import { once } from 'node:events'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import { withRuntime } from '../compose.ts'
import { segmentBody } from '../api/routes/segments.ts'
import { exportMembers } from '../activation/export.ts'

export async function listSegmentsCommand(config: Config, out: NodeJS.WritableStream): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const rows = await runtime.store.listSegments()
    if (rows.length === 0) {
      out.write('no segments yet: create one with POST /api/segments (see docs/segments.md)\n')
      return
    }
    const lines = rows.map((s) => [s.id, s.name, `v${s.version}`, String(s.members), s.state === 'ready' ? 'ready' : `backfilling ${s.backfillProcessed}/${s.backfillTotal}`])
    const header = ['ID', 'NAME', 'VERSION', 'MEMBERS', 'STATE']
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)))
    for (const line of [header, ...lines]) out.write(`${line.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`)
  })
}

export async function showSegmentCommand(config: Config, idOrName: string, out: NodeJS.WritableStream): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const row = await runtime.segments.require(idOrName)
    const versions = await runtime.store.listSegmentVersions(row.id)
    out.write(`${JSON.stringify({ ...segmentBody(row), versions: versions.length }, null, 2)}\n`)
  })
}

/** The definition from a file path, or inline JSON. */
function readConditions(source: string): unknown {
  const text = fs.existsSync(source) ? fs.readFileSync(source, 'utf8') : source
  try {
    const value = JSON.parse(text) as unknown
    // Accept a whole segment body ({name, conditions}) as well as a bare condition.
    if (value && typeof value === 'object' && 'conditions' in value) return (value as { conditions: unknown }).conditions
    return value
  } catch (error) {
    throw new AppError('invalid_input', `${fs.existsSync(source) ? source : 'the definition'} is not JSON: ${(error as Error).message}`)
  }
}

export async function previewSegmentCommand(config: Config, source: string, out: NodeJS.WritableStream): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const result = await runtime.segments.preview(readConditions(source))
    out.write(`${result.count} profiles match (${result.tookMs} ms)\n`)
    for (const m of result.sample) out.write(`  ${m.profileId}  ${m.email ?? '-'}  ${m.cookie ?? '-'}\n`)
  })
}

export async function exportSegmentCommand(config: Config, idOrName: string, options: { format: 'csv' | 'ndjson' }, out: NodeJS.WritableStream): Promise<number> {
  return withRuntime(config, async (runtime) => {
    const row = await runtime.segments.require(idOrName)
    const write = async (chunk: string) => {
      if (!out.write(chunk)) await once(out, 'drain')
    }
    let count = 0
    for await (const chunk of exportMembers(runtime.store, row.id, options.format)) {
      await write(chunk.text)
      count += chunk.members
    }
    return count
  })
}
