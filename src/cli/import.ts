// `cdp import FILE`: streams a file of any size through the ingest pipeline, with a progress bar
// and a data-quality report at the end. Each row read is counted once, as accepted, rejected or a
// duplicate (within the file, or already imported), so rows_read is their sum. The report is written
// even when the file breaks off part-way: the batches before the break are committed.
import fs from 'node:fs'
import cliProgress from 'cli-progress'
import type { CsvDelimiter } from '../collect/csv-rows.ts'
import { detectCsvFileDelimiter, detectFileFormat, FileParseError, readRecordBatches } from '../collect/file.ts'
import type { Config } from '../config.ts'
import type { BodyFormat } from '../domain/types.ts'
import { newBatchId } from '../domain/ids.ts'
import type { IngestReport } from '../pipeline/report.ts'
import type { QualityPolicy } from '../pipeline/validate/quality-policy.ts'
import { openRuntime } from '../compose.ts'

export interface QualityReport {
  file: string
  source: string
  format: BodyFormat
  /** The CSV delimiter used (given or read off the header line); absent for other formats. */
  delimiter?: CsvDelimiter
  batch_id: string
  rows_read: number
  accepted: number
  rejected: number
  rejected_by_reason: Record<string, number>
  warnings_by_reason: Record<string, number>
  duplicates_within_file: number
  duplicates_already_stored: number
  /** Rows refused because they carry a suppressed identifier (docs/privacy.md). */
  suppressed: number
  merges: number
  seconds: number
  rows_per_second: number
  peak_rss_mb: number
  /** False when the file broke off (see `stopped`); every row before the break is counted and stored. */
  complete: boolean
  /** Why and where the file could not be read on; null when it was read to the end. */
  stopped: { message: string; line: number | null } | null
  /** The first rejections, to show what to fix; the rest are in the raw store (GET /api/raw?status=rejected). */
  sample_errors: Array<{ record: number; field: string; message: string }>
}

export async function importFile(
  config: Config,
  file: string,
  options: { source?: string; format?: BodyFormat; delimiter?: CsvDelimiter; report?: string; quiet?: boolean; batchSize?: number; onInvalid?: QualityPolicy },
): Promise<QualityReport> {
  const format = detectFileFormat(file, options.format)
  const totalBytes = fs.statSync(file).size
  const delimiter = format === 'csv' ? (options.delimiter ?? detectCsvFileDelimiter(file)) : undefined
  const source = options.source ?? 'import'
  const runtime = await openRuntime(config)
  const batchId = newBatchId()
  const report: QualityReport = {
    file,
    source,
    format,
    ...(delimiter === undefined ? {} : { delimiter }),
    batch_id: batchId,
    rows_read: 0,
    accepted: 0,
    rejected: 0,
    rejected_by_reason: {},
    warnings_by_reason: {},
    duplicates_within_file: 0,
    duplicates_already_stored: 0,
    suppressed: 0,
    merges: 0,
    seconds: 0,
    rows_per_second: 0,
    peak_rss_mb: 0,
    complete: true,
    stopped: null,
    sample_errors: [],
  }
  const started = performance.now()
  const bar = options.quiet
    ? undefined
    : new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
          hideCursor: true,
          etaBuffer: 50,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
  bar?.start(totalBytes, 0, { rows: 0, rate: 0 })
  const account = (result: IngestReport, bytesRead: number) => {
    report.rows_read += result.processed
    report.accepted += result.accepted
    report.duplicates_within_file += result.duplicatesInBatch
    report.duplicates_already_stored += result.duplicates - result.duplicatesInBatch
    report.merges += result.merges
    report.suppressed += result.suppressed
    // An invalid row seen before (a re-import) is a duplicate here, not a new rejection.
    for (const [reason, n] of Object.entries(result.rejectedByReason)) {
      const fresh = n - (result.rejectedDuplicatesByReason[reason] ?? 0)
      if (fresh <= 0) continue
      report.rejected += fresh
      report.rejected_by_reason[reason] = (report.rejected_by_reason[reason] ?? 0) + fresh
    }
    for (const w of result.warnings) report.warnings_by_reason[w.reason] = (report.warnings_by_reason[w.reason] ?? 0) + 1
    // A batch of rows all stored before (a re-import) has nothing new to show.
    const freshRejections = result.failed - Object.values(result.rejectedDuplicatesByReason).reduce((a, b) => a + b, 0)
    for (const e of freshRejections > 0 ? result.errors : []) {
      if (report.sample_errors.length < 20) report.sample_errors.push({ record: e.record, field: e.field, message: e.message })
    }
    const seconds = (performance.now() - started) / 1000
    bar?.update(bytesRead, { rows: report.rows_read, rate: Math.round(report.rows_read / Math.max(seconds, 0.001)) })
  }
  let inFlight: Promise<void> | undefined
  try {
    try {
      // Two batches in flight: one is prepared (in a prepare worker, CDP_INGEST_WORKERS) while the
      // other is in its transaction; without workers they overlap only on PostgreSQL, where the
      // database works while Node validates.
      for await (const { records, bytesRead } of readRecordBatches(file, format, options.batchSize ?? 1000, { delimiter })) {
        const next = runtime.pipeline.ingest({ records, source, contentType: format, batchId, onInvalid: options.onInvalid }).then((result) => account(result, bytesRead))
        // Marked handled now; it is awaited (and its error thrown) on the next turn.
        next.catch(() => undefined)
        if (inFlight) await inFlight
        inFlight = next
      }
    } catch (error) {
      if (!(error instanceof FileParseError)) {
        // The batch in flight still finishes before the store closes; the read error is the one to report.
        await inFlight?.catch(() => undefined)
        throw error
      }
      report.complete = false
      report.stopped = { message: error.message, line: error.line ?? null }
    }
    if (inFlight) await inFlight
    // A bulk load changes the tables' shape; fresh statistics keep the planner on the indexes.
    if (report.rows_read > 0) await runtime.store.optimize()
  } finally {
    bar?.stop()
    await runtime.close()
  }
  report.seconds = Math.round((performance.now() - started) / 10) / 100
  report.rows_per_second = Math.round(report.rows_read / Math.max(report.seconds, 0.01))
  report.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024)
  if (options.report) fs.writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`)
  return report
}

/**
 * The exit status of `cdp import`: 1 when the file broke off or when no row was accepted and some
 * were rejected (a wrong file, a wrong delimiter), so scripts notice; 0 otherwise, a re-import of
 * rows already stored included.
 */
export function importExitCode(r: QualityReport): number {
  if (!r.complete) return 1
  return r.accepted === 0 && r.rejected > 0 ? 1 : 0
}

export function formatQualityReport(r: QualityReport): string {
  const lines = [
    `${r.complete ? 'Imported' : 'Partly imported'} ${r.file} (${r.format}${r.delimiter ? `, delimiter ${JSON.stringify(r.delimiter)}` : ''}, source "${r.source}") in ${r.seconds}s, ${r.rows_per_second} rows/s`,
    `  rows read                 ${r.rows_read}`,
    `  accepted                  ${r.accepted}`,
    `  rejected                  ${r.rejected}`,
    ...Object.entries(r.rejected_by_reason)
      .sort(([, a], [, b]) => b - a)
      .map(([reason, n]) => `    ${reason.replaceAll('_', ' ').padEnd(24)}${n}`),
    `  duplicates within file    ${r.duplicates_within_file}`,
    `  already imported          ${r.duplicates_already_stored}`,
    ...(r.suppressed > 0 ? [`  suppressed                ${r.suppressed}`] : []),
    `  merges                    ${r.merges}`,
    `  peak memory               ${r.peak_rss_mb} MB`,
  ]
  const warnings = Object.entries(r.warnings_by_reason)
  if (warnings.length > 0) lines.push('  warnings (accepted, flagged)', ...warnings.map(([k, n]) => `    ${k.replaceAll('_', ' ').padEnd(24)}${n}`))
  if (r.sample_errors.length > 0) {
    lines.push('  first errors:', ...r.sample_errors.slice(0, 5).map((e) => `    record ${e.record} ${e.field}: ${e.message}`))
    lines.push('  all rejected records: GET /api/raw?status=rejected; after a fix: cdp replay')
  }
  if (r.accepted === 0 && r.rejected > 0) lines.push('  no row was accepted: check the file, its delimiter (--delimiter) and the first errors above')
  if (r.stopped) {
    lines.push(
      `  STOPPED: ${r.stopped.message}`,
      `  the ${r.rows_read} rows before that point were committed; fix the file and import it again (rows already imported are skipped)`,
    )
  }
  return `${lines.join('\n')}\n`
}
