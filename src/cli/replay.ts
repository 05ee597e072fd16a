// `cdp replay`: runs rejected raw records through the current rules again, after a fix to the rules
// or the configuration, or with a fix to the records themselves (--map, --patch). A fixed record is
// stored as a new raw record; the original stays as received, marked superseded and pointing at it
// (IngestPipeline.ingestCorrections), so no later replay or rebuild brings the bad version back.
import fs from 'node:fs'
import type { Config } from '../config.ts'
import { exceedsDepth, tooDeepMessage } from '../domain/json-value.ts'
import { canonicalJson } from '../pipeline/prepare/raw-record.ts'
import { MESSAGE_CONTENT_TYPE } from '../pipeline/records.ts'
import { openRuntime } from '../compose.ts'
import { applyFix, type FieldMapping, parseFieldMapping, parsePatch, type PatchOperation } from './record-fix.ts'
import type { StoredRawRecord } from '../domain/raw-record.ts'

export interface ReplayOptions {
  source?: string
  /** Only records rejected for this reason (any of their errors), e.g. invalid_email. */
  reason?: string
  ids?: readonly number[]
  /** "FROM=TO" field mappings, applied in order. */
  map?: readonly string[]
  /** A file holding an RFC 6902 JSON Patch, applied after the mappings. */
  patch?: string
  pageSize?: number
}

export interface ReplayResult {
  replayed: number
  accepted: number
  stillRejected: number
  /** Records stored as a corrected copy (their originals are now superseded). */
  corrected: number
  /** Records the fix could not apply to (a failed test, a missing path): left as they were. */
  fixFailed: number
  /** Records a fix cannot apply to: Segment-spec messages and lines that were never JSON. */
  notFixable: number
  /** The first few reasons a fix did not apply, to show what to change. */
  fixErrors: Array<{ id: number; message: string }>
}

export function readFix(options: Pick<ReplayOptions, 'map' | 'patch'>): { mappings: FieldMapping[]; patch: PatchOperation[] } | null {
  const mappings = (options.map ?? []).map(parseFieldMapping)
  let patch: PatchOperation[] = []
  if (options.patch !== undefined) {
    let document: unknown
    try {
      document = JSON.parse(fs.readFileSync(options.patch, 'utf8'))
    } catch (error) {
      throw new Error(`--patch ${options.patch}: ${(error as Error).message}`, { cause: error })
    }
    try {
      patch = parsePatch(document)
    } catch (error) {
      throw new Error(`--patch ${options.patch}: ${(error as Error).message}`, { cause: error })
    }
  }
  return mappings.length === 0 && patch.length === 0 ? null : { mappings, patch }
}

export async function replayRejected(config: Config, options: ReplayOptions): Promise<ReplayResult> {
  const fix = readFix(options)
  const runtime = await openRuntime(config)
  const total: ReplayResult = { replayed: 0, accepted: 0, stillRejected: 0, corrected: 0, fixFailed: 0, notFixable: 0, fixErrors: [] }
  // Corrected copies that are still invalid are rejected records too, further on in id order: this
  // run must not take them up again.
  const ownBatches = new Set<string>()
  try {
    let afterId: number | undefined
    for (;;) {
      const page = await runtime.store.listRawRecords({ status: 'rejected', source: options.source, ids: options.ids, limit: options.pageSize ?? 1000, afterId })
      const last = page[page.length - 1]
      if (!last) break
      afterId = last.id
      const rows = page.filter((row) => !ownBatches.has(row.batchId) && (options.reason === undefined || row.errors?.some((e) => e.reason === options.reason)))
      const asStored: StoredRawRecord[] = []
      const corrections: Array<{ original: StoredRawRecord; value: unknown }> = []
      for (const row of rows) {
        if (!fix) {
          asStored.push(row)
          continue
        }
        const value = row.contentType === MESSAGE_CONTENT_TYPE ? undefined : parseStored(row.payload)
        if (value === undefined) {
          total.notFixable++
          continue
        }
        // A fix copies and compares the record recursively; a record this deep would overflow the
        // stack (it was rejected as too_deep), so it is left as it was, with the reason.
        if (exceedsDepth(value)) {
          total.fixFailed++
          if (total.fixErrors.length < 10) total.fixErrors.push({ id: row.id, message: `${tooDeepMessage('the record')}, then send it again` })
          continue
        }
        const fixed = applyFix(value, fix)
        if (fixed.kind === 'rejected') {
          total.fixFailed++
          if (total.fixErrors.length < 10) total.fixErrors.push({ id: row.id, message: fixed.reason })
          continue
        }
        // A fix that changes nothing is a plain replay: a copy would have the original's own content.
        if (canonicalJson(fixed.value) === canonicalJson(value)) asStored.push(row)
        else corrections.push({ original: row, value: fixed.value })
      }
      if (asStored.length > 0) {
        const result = await runtime.pipeline.replay(asStored)
        total.replayed += result.replayed
        total.accepted += result.accepted
        total.stillRejected += result.stillRejected
      }
      if (corrections.length > 0) {
        const report = await runtime.pipeline.ingestCorrections(corrections)
        ownBatches.add(report.batchId)
        total.replayed += corrections.length
        total.corrected += corrections.length
        total.accepted += report.accepted
        total.stillRejected += report.failed
      }
    }
  } finally {
    await runtime.close()
  }
  return total
}

/** A stored payload as JSON; undefined for a line that never was JSON (kept as text). */
function parseStored(payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown
  } catch {
    return undefined
  }
}

export function formatReplayResult(r: ReplayResult): string {
  const lines = [`replayed ${r.replayed} rejected records: ${r.accepted} accepted now, ${r.stillRejected} still rejected`]
  if (r.corrected > 0) lines.push(`  ${r.corrected} stored as corrected copies; their originals are marked superseded (GET /api/raw?status=superseded)`)
  if (r.fixFailed > 0) lines.push(`  ${r.fixFailed} left as they were: the fix did not apply`, ...r.fixErrors.map((e) => `    raw record ${e.id}: ${e.message}`))
  if (r.notFixable > 0) lines.push(`  ${r.notFixable} not fixable (Segment-spec messages, or lines that were never JSON): replay them without --map/--patch`)
  return `${lines.join('\n')}\n`
}
