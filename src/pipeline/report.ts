// What a caller hears about a batch: counts, errors and warnings per record, merges.
import type { MergeLogEntry } from '../domain/identity.ts'
import type { PreparedRecord } from './records.ts'

export interface RecordError {
  record: number
  field: string
  reason: string
  message: string
}

export interface IngestReport {
  batchId: string
  processed: number
  /** Valid records stored for the first time and applied to profiles. */
  accepted: number
  failed: number
  /** Records whose content (with the same source) was already stored: skipped, not failures. */
  duplicates: number
  /** Of those, the ones seen earlier in the same batch (for an import: earlier in the same file). */
  duplicatesInBatch: number
  /**
   * Duplicates that are also invalid, by reason: they count in `failed` and `rejectedByReason` too
   * (the client hears what is wrong with them); an importer that counts each row once subtracts them.
   */
  rejectedDuplicatesByReason: Record<string, number>
  errors: RecordError[]
  warnings: RecordError[]
  rejectedByReason: Record<string, number>
  merges: number
  profilesTouched: number
  /** Records refused because they carry a suppressed identifier (docs/privacy.md): never stored. */
  suppressed: number
}

/** What the raw store counted for one batch of a group. */
export interface RawCounts {
  duplicates: number
  duplicatesInBatch: number
  accepted: number
  /** Raw ids of the accepted records stored for the first time. */
  rawIds: number[]
  rejectedDuplicates: Record<string, number>
}

export function emptyReport(batchId: string): IngestReport {
  return { batchId, processed: 0, accepted: 0, failed: 0, duplicates: 0, duplicatesInBatch: 0, rejectedDuplicatesByReason: {}, errors: [], warnings: [], rejectedByReason: {}, merges: 0, profilesTouched: 0, suppressed: 0 }
}

export function emptyRawCounts(): RawCounts {
  return { duplicates: 0, duplicatesInBatch: 0, accepted: 0, rawIds: [], rejectedDuplicates: {} }
}

/** The reason a rejected record is counted under: its first error's. */
export function rejectionReason(p: PreparedRecord): string {
  return p.errors[0]?.reason ?? 'bad_field'
}

export function countReason(counts: Record<string, number>, reason: string, n = 1): void {
  counts[reason] = (counts[reason] ?? 0) + n
}

/** What preparing found, before anything is stored: every record's warnings, the rejected ones' errors. */
export function preparedReport(batchId: string, prepared: readonly PreparedRecord[]): IngestReport {
  const report: IngestReport = { ...emptyReport(batchId), processed: prepared.length }
  for (const p of prepared) {
    for (const w of p.warnings) report.warnings.push({ record: p.index, ...w })
    if (p.observation) continue
    report.failed++
    for (const e of p.errors) report.errors.push({ record: p.index, ...e })
    countReason(report.rejectedByReason, rejectionReason(p))
  }
  return report
}

/** Adds what the transaction found (duplicates, accepted records, merges, profiles) to a batch's report. */
export function completeReport(report: IngestReport, counts: RawCounts, merges: readonly MergeLogEntry[], resolvedTo: ReadonlyMap<number, string>): void {
  const mergesByRaw = new Map<number, number>()
  for (const m of merges) if (m.rawId !== null && m.reason !== 'refused') mergesByRaw.set(m.rawId, (mergesByRaw.get(m.rawId) ?? 0) + 1)
  report.duplicates = counts.duplicates
  report.duplicatesInBatch = counts.duplicatesInBatch
  report.rejectedDuplicatesByReason = counts.rejectedDuplicates
  report.accepted = counts.accepted
  const profiles = new Set<string>()
  for (const rawId of counts.rawIds) {
    report.merges += mergesByRaw.get(rawId) ?? 0
    const profileId = resolvedTo.get(rawId)
    if (profileId) profiles.add(profileId)
  }
  report.profilesTouched = profiles.size
}

/** The reports of a batch written in several transactions, as one. */
export function mergeReports(parts: readonly IngestReport[]): IngestReport {
  const [first, ...rest] = parts as [IngestReport, ...IngestReport[]]
  const report: IngestReport = {
    ...first,
    errors: [...first.errors],
    warnings: [...first.warnings],
    rejectedByReason: { ...first.rejectedByReason },
    rejectedDuplicatesByReason: { ...first.rejectedDuplicatesByReason },
  }
  for (const r of rest) {
    report.processed += r.processed
    report.accepted += r.accepted
    report.failed += r.failed
    report.duplicates += r.duplicates
    report.duplicatesInBatch += r.duplicatesInBatch
    for (const [reason, n] of Object.entries(r.rejectedDuplicatesByReason)) countReason(report.rejectedDuplicatesByReason, reason, n)
    report.errors.push(...r.errors)
    report.warnings.push(...r.warnings)
    for (const [reason, n] of Object.entries(r.rejectedByReason)) countReason(report.rejectedByReason, reason, n)
    report.merges += r.merges
    report.suppressed += r.suppressed
    // A profile touched by two parts counts twice: the parts do not share their sets.
    report.profilesTouched += r.profilesTouched
  }
  return report
}
