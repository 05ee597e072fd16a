// The ingest pipeline: validate → raw store → resolve identity → profiles → cohorts, one
// transaction per batch. Once `ingest` resolves, every stage is committed and visible to readers.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { isUnparseable } from '../collect/body.ts'
import { exceedsDepth, findTooDeep, storableJson, stringifyDeep, tooDeepMessage } from '../domain/json-value.ts'
import type { ProfileState } from '../domain/profile.ts'
import type { FieldIssue, IncomingRecord, InterestClassifier, Observation } from '../domain/types.ts'
import type { SegmentEngine } from '../segments/engine.ts'
import { type EventRecord, type InterestProperty, MAX_MESSAGE_BYTES, type MessageType, translateMessage, USER_ID_COOKIE_PREFIX } from '../collect/segment-spec.ts'
import { cohortIdsByName, type DesiredMembership, desiredMemberships, diffMemberships } from './classify/memberships.ts'
import { emptyProfile, applyObservation } from './identity/merge.ts'
import { type BatchObservation, compareObservations, resolveBatch } from './identity/resolve-batch.ts'
import { assignAnonymous } from './identity/timeline.ts'
import { DEFAULT_QUALITY_POLICIES, policyForSource, type QualityPolicies, type QualityPolicy, validateRecord, type ValidateOptions } from './validate/index.ts'
import type { MergeLogEntry } from '../domain/identity.ts'
import type { NewRawRecord, StoredRawRecord } from '../domain/raw-record.ts'
import type { IngestTransaction } from '../storage/ports/ingest.ts'
import type { Store } from '../storage/ports/store.ts'

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
}

export interface IngestBatch {
  records: readonly IncomingRecord[]
  source: string
  contentType: string
  receivedAt?: number
  /** Several calls may share one batch id: `cdp import` uses one per file. */
  batchId?: string
  /** Overrides the source's quality policy for this batch (`?on_invalid=`, `cdp import --on-invalid`). */
  onInvalid?: QualityPolicy
}

/** Segment-spec messages (POST /v1/*): each one a raw record, a profile observation and maybe an event. */
export interface MessageBatch {
  messages: readonly IncomingRecord[]
  source: string
  receivedAt?: number
  /** The batch's sentAt, for clock-skew correction of messages without their own. */
  sentAt?: unknown
  impliedType?: MessageType
}

/** The raw content type of Segment-spec messages: how replay and rebuild know to translate them. */
export const MESSAGE_CONTENT_TYPE = 'segment'

export interface PipelineOptions {
  store: Store
  classifier: InterestClassifier
  validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>
  /** Per source: reject records with an invalid optional field (the default) or drop the field. */
  qualityPolicies?: QualityPolicies
  newProfileId?: () => string
  /** Which event properties become interests (default: every event's "category"). */
  interestProperties?: readonly InterestProperty[]
  /**
   * SQLite: batches larger than this are written in parts of this size. The server sets it (with
   * `transactionMs`) so that no transaction blocks real-time events for long: better-sqlite3 holds
   * the event loop while a transaction runs. Bulk loaders leave both unset and write whole batches.
   */
  transactionRecords?: number
  /** SQLite: how long one transaction should take; parts are grouped up to what fits, as measured. */
  transactionMs?: number
}

function nameKeysById(idsByName: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...idsByName].map(([name, id]) => [id, name.toLowerCase()]))
}

export function newBatchId(): string {
  return `bat_${randomUUID().replaceAll('-', '')}`
}

// Per process: a random prefix keeps ids from concurrent processes apart, a counter keeps them unique.
const ID_PROCESS = randomBytes(5).toString('hex')
let idCounter = 0

/**
 * Time-ordered ids (milliseconds, process, counter): new rows land at the end of every index keyed
 * by profile id instead of on random pages, which keeps bulk ingest's write volume down.
 */
export function newProfileId(): string {
  idCounter = (idCounter + 1) % 36 ** 4
  return `prof_${Date.now().toString(36).padStart(9, '0')}${ID_PROCESS}${idCounter.toString(36).padStart(4, '0')}`
}

/**
 * JSON with object keys sorted, so that key order never makes two equal records look different.
 * Recursive: only for values within MAX_JSON_DEPTH (prepare checks first).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export function contentHash(source: string, payload: string): string {
  // 128 bits of SHA-256 are plenty to tell records apart, and keep the unique index small.
  return createHash('sha256').update(source).update('\u0000').update(payload).digest('base64url').slice(0, 22)
}

interface Prepared {
  index: number
  raw: NewRawRecord
  observation: Observation | null
  errors: FieldIssue[]
  warnings: FieldIssue[]
  /** For a Segment-spec message. */
  message?: { messageId: string; event: EventRecord | null; anonymousId: string | null; userId: string | null; keyedByUserId: boolean }
}

/**
 * Records in one group commit at most: bounds a transaction's memory and, since a transaction cannot
 * be interrupted, how long a real-time event can wait behind one (1,000 events with event segments
 * take ~100-200 ms here).
 */
const MAX_GROUP_RECORDS = 1_000
/** Batches this small go first into the next group. */
const SMALL_BATCH = 50

interface PendingBatch {
  prepared: Prepared[]
  batch: { batchId: string; receivedAt: number; source: string }
  resolve?: (report: IngestReport) => void
  reject?: (error: unknown) => void
}

/** What an accepted message adds once its profile is known. */
interface MessagePart {
  messageId: string
  event: EventRecord | null
  anonymousId: string | null
  userId: string | null
  keyedByUserId: boolean
  at: number
  receivedAt: number
}

function emptyReport(batchId: string): IngestReport {
  return { batchId, processed: 0, accepted: 0, failed: 0, duplicates: 0, duplicatesInBatch: 0, rejectedDuplicatesByReason: {}, errors: [], warnings: [], rejectedByReason: {}, merges: 0, profilesTouched: 0 }
}

/** The reason a rejected record is counted under: its first error's. */
function rejectionReason(p: Prepared): string {
  return p.errors[0]?.reason ?? 'bad_field'
}

function countReason(counts: Record<string, number>, reason: string, n = 1): void {
  counts[reason] = (counts[reason] ?? 0) + n
}

/** The reports of a batch written in several transactions, as one. */
function mergeReports(parts: IngestReport[]): IngestReport {
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
    // A profile touched by two parts counts twice: the parts do not share their sets.
    report.profilesTouched += r.profilesTouched
  }
  return report
}

/**
 * A record nested deeper than MAX_JSON_DEPTH fails alone, before anything walks it recursively; its
 * payload is still stored as received.
 */
function tooDeepRecord(record: IncomingRecord, base: Omit<NewRawRecord, 'payload' | 'contentHash' | 'status' | 'errors' | 'cookie' | 'email' | 'observedAt'>, source: string, where: string): Prepared {
  const payload = stringifyDeep(record.value)
  const errors: FieldIssue[] = [{ field: where, reason: 'too_deep', message: tooDeepMessage(where) }]
  return {
    index: record.index,
    raw: { ...base, payload, contentHash: contentHash(source, payload), status: 'rejected', errors, cookie: null, email: null, observedAt: null },
    observation: null,
    errors,
    warnings: [],
  }
}

export class IngestPipeline {
  readonly store: Store
  private classifier: InterestClassifier
  private cohortIds: Map<string, string>
  private cohortNameKeys: Map<string, string>
  private readonly validateOptions: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>
  private readonly qualityPolicies: QualityPolicies
  private readonly makeProfileId: () => string
  private readonly interestProperties: readonly InterestProperty[] | undefined
  private readonly transactionRecords: number | undefined
  private readonly transactionMs: number | undefined
  /** Recent cost of a record in a transaction (moving average): sizes groups to `transactionMs`. */
  private msPerRecord = 0.1
  private readonly pending: PendingBatch[] = []
  private writing = false
  private drainScheduled = false
  private lastWasSmall = false
  private segmentEngine: SegmentEngine | null = null
  private segmentsChanged: (segmentIds: Set<string>) => void = () => {}

  constructor(options: PipelineOptions) {
    this.store = options.store
    this.classifier = options.classifier
    this.cohortIds = cohortIdsByName(options.classifier)
    this.cohortNameKeys = nameKeysById(this.cohortIds)
    this.validateOptions = options.validate
    this.qualityPolicies = options.qualityPolicies ?? DEFAULT_QUALITY_POLICIES
    this.makeProfileId = options.newProfileId ?? newProfileId
    this.interestProperties = options.interestProperties
    this.transactionRecords = options.transactionRecords
    this.transactionMs = options.transactionMs
  }

  get interestClassifier(): InterestClassifier {
    return this.classifier
  }

  /**
   * Business segments to keep current in every transaction that changes profiles; `changed` hears,
   * after commit, which segments gained or lost members.
   */
  useSegments(engine: SegmentEngine, changed: (segmentIds: Set<string>) => void): void {
    this.segmentEngine = engine
    this.segmentsChanged = changed
  }

  /** Cohort id -> lower-cased name, as segment conditions name cohorts. */
  cohortNameKey(cohortId: string): string {
    return this.cohortNameKeys.get(cohortId) ?? cohortId
  }

  /** Lower-cased cohort name -> score, per profile, from the memberships just computed. */
  private cohortScores(desired: ReadonlyMap<string, ReadonlyMap<string, DesiredMembership>>): Map<string, Map<string, number>> {
    const nameOf = this.cohortNameKeys
    const out = new Map<string, Map<string, number>>()
    for (const [profileId, memberships] of desired) {
      const scores = new Map<string, number>()
      for (const m of memberships.values()) scores.set(nameOf.get(m.cohortId) ?? m.cohortId, m.score)
      out.set(profileId, scores)
    }
    return out
  }

  private notifySegments(changed: Set<string>): void {
    if (changed.size > 0) this.segmentsChanged(changed)
  }

  /** Registers the classifier's cohorts; run once at start and whenever the classifier changes. */
  async syncCohorts(): Promise<void> {
    await this.store.upsertCohorts(this.classifier.cohorts().map((c) => ({ ...c, terms: [...c.terms] })))
  }

  /**
   * Swaps in another classifier (a retrained model, a new custom cohort). Its cohorts are registered
   * first, so no batch can write a membership of a cohort the database does not know yet. Batches
   * already running finish with the classifier they started with; profiles they touched are brought
   * up to date by the backfill that follows every swap (cohorts/reclassify.ts).
   */
  async useClassifier(next: InterestClassifier): Promise<void> {
    await this.store.upsertCohorts(next.cohorts().map((c) => ({ ...c, terms: [...c.terms] })))
    this.classifier = next
    this.cohortIds = cohortIdsByName(next)
    this.cohortNameKeys = nameKeysById(this.cohortIds)
  }

  /** Re-evaluates the cohorts of these profiles with the current classifier; returns the membership rows changed. */
  async reclassify(profileIds: string[]): Promise<number> {
    const classifier = this.classifier
    const cohortIds = this.cohortIds
    const result = await this.store.ingestTransaction(async (tx) => {
      const profiles = await tx.loadProfiles(profileIds)
      const current = await tx.loadMemberships([...profiles.keys()])
      const desired = new Map<string, Map<string, DesiredMembership>>()
      for (const profile of profiles.values()) desired.set(profile.id, desiredMemberships(profile, classifier, cohortIds))
      const now = Date.now()
      const diff = diffMemberships(current, desired, now)
      await tx.saveMemberships(diff)
      const segments = this.segmentEngine
        ? await this.segmentEngine.evaluate(tx, { profiles: profiles.values(), cohorts: this.cohortScores(desired), reason: `reclassified by ${classifier.version}`, now })
        : new Set<string>()
      return { changed: diff.upserts.length + diff.deletes.length, segments }
    })
    this.notifySegments(result.segments)
    return result.changed
  }

  async ingest(batch: IngestBatch): Promise<IngestReport> {
    const receivedAt = batch.receivedAt ?? Date.now()
    const batchId = batch.batchId ?? newBatchId()
    const prepared = batch.records.map((record) => this.prepare(record, batch, batchId, receivedAt))
    return await this.commit(prepared, { batchId, receivedAt, source: batch.source })
  }

  /**
   * Segment-spec messages. The raw row's content hash is the messageId's, so a message sent twice
   * (a client retry, a replayed queue) is stored and counted once, however far apart the copies are.
   */
  async ingestMessages(batch: MessageBatch): Promise<IngestReport> {
    const receivedAt = batch.receivedAt ?? Date.now()
    const batchId = newBatchId()
    const prepared = batch.messages.map((record) => this.prepareMessage(record, batch, batchId, receivedAt))
    // A batch resolves as its messages would one by one, in order. One by one, a message that carries
    // only a userId goes where the store last linked that userId (its "uid:" cookie). A link made by
    // an earlier message of the same batch (a message with an anonymousId and that userId, or an
    // alias) is only stored when that message commits, so the batch is cut before the first message
    // that depends on it, and the parts commit in order. Real clients rarely need a cut (browsers
    // send an anonymousId with every message); a retry of the whole batch skips the parts already
    // stored (the raw store's content hash), as it does for a large batch written in parts.
    let current: Prepared[] = []
    const parts = [current]
    let linked = new Set<string>()
    for (const p of prepared) {
      const userId = p.observation ? p.message?.userId : null
      if (userId && p.message?.keyedByUserId && linked.has(userId)) {
        current = []
        parts.push(current)
        linked = new Set()
      }
      current.push(p)
      if (userId && !p.message?.keyedByUserId) linked.add(userId)
    }
    if (parts.length > 1) {
      const reports: IngestReport[] = []
      for (const part of parts) reports.push(await this.commit(part, { batchId, receivedAt, source: batch.source }))
      return mergeReports(reports)
    }
    return await this.commit(prepared, { batchId, receivedAt, source: batch.source })
  }

  /**
   * Commits a prepared batch. On SQLite, batches that arrive while another is being written wait
   * and then go in together, in one transaction (group commit): SQLite has one writer, so they would
   * have waited anyway, and one commit writes each touched page once instead of once per batch
   * (+30% events/s at 4 batches in flight, docs/benchmarks.md). A batch that finds the writer idle
   * starts on the next turn of the event loop, so nothing waits for company.
   */
  private commit(prepared: Prepared[], batch: PendingBatch['batch']): Promise<IngestReport> {
    if (!this.store.groupCommit) return this.commitGroup([{ prepared, batch }]).then((reports) => reports[0] as IngestReport)
    const size = this.transactionRecords
    if (size === undefined || prepared.length <= size) return this.enqueue(prepared, batch)
    // A large batch goes in as several transactions, so that real-time events can be written between
    // them. Until the last commits the caller has no answer; a retry of the whole batch then skips
    // what was stored (the raw store's content hash), so nothing is counted twice.
    const parts: Prepared[][] = []
    for (let i = 0; i < prepared.length; i += size) parts.push(prepared.slice(i, i + size))
    return Promise.all(parts.map((part) => this.enqueue(part, batch))).then(mergeReports)
  }

  private enqueue(prepared: Prepared[], batch: PendingBatch['batch']): Promise<IngestReport> {
    return new Promise<IngestReport>((resolve, reject) => {
      this.pending.push({ prepared, batch, resolve, reject })
      this.scheduleDrain()
    })
  }

  /**
   * Starts the next transaction after the event loop's I/O phase, never from inside it: every request
   * read in that phase is queued first, so the next group is chosen among all of them (small first).
   */
  private scheduleDrain(): void {
    if (this.drainScheduled) return
    this.drainScheduled = true
    setImmediate(() => {
      this.drainScheduled = false
      this.drain()
    })
  }

  private drain(): void {
    if (this.writing || this.pending.length === 0) return
    // Small batches (a page view, a login: the real-time path) go first and by themselves, so a single
    // event waits for at most the transaction being written, never for a queue of bulk batches, and
    // its own transaction stays small. Bulk takes every other turn when both wait, so a stream of
    // small batches cannot starve it.
    const small = this.pending.filter((p) => p.prepared.length <= SMALL_BATCH)
    const bulkWaiting = small.length < this.pending.length
    const smallTurn = small.length > 0 && !(bulkWaiting && this.lastWasSmall)
    const ordered = smallTurn ? small : this.pending.filter((p) => p.prepared.length > SMALL_BATCH)
    this.lastWasSmall = smallTurn
    const group: PendingBatch[] = []
    let records = 0
    const limit =
      this.transactionMs !== undefined
        ? Math.max(this.transactionRecords ?? 1, Math.min(MAX_GROUP_RECORDS, Math.round(this.transactionMs / this.msPerRecord)))
        : (this.transactionRecords ?? MAX_GROUP_RECORDS)
    for (const next of ordered) {
      if (group.length > 0 && records + next.prepared.length > limit) break
      group.push(next)
      records += next.prepared.length
    }
    const taken = new Set(group)
    this.pending.splice(0, this.pending.length, ...this.pending.filter((p) => !taken.has(p)))
    this.writing = true
    const started = performance.now()
    this.commitGroup(group)
      .then((reports) => {
        if (records > 0) this.msPerRecord = 0.7 * this.msPerRecord + (0.3 * (performance.now() - started)) / records
        return reports
      })
      .then(
        (reports) => group.forEach((g, i) => g.resolve?.(reports[i] as IngestReport)),
        // A failure must stay with the batch that caused it: alone, each batch succeeds or fails on its own.
        async (error: unknown) => {
          if (group.length === 1) return group[0]?.reject?.(error)
          for (const g of group) {
            await this.commitGroup([g]).then(
              (reports) => g.resolve?.(reports[0] as IngestReport),
              (own: unknown) => g.reject?.(own),
            )
          }
        },
      )
      .finally(() => {
        this.writing = false
        // Through the event loop's I/O phase first: requests that arrived during the transaction
        // (better-sqlite3 blocks while it runs) are read and queued, so small ones go next.
        this.scheduleDrain()
      })
  }

  /**
   * Corrected copies of rejected records (`cdp replay --map/--patch`). Each copy goes in as if it had
   * just arrived, with the original's source, content type and receipt time, as a raw record of its
   * own; in the same transaction the original is marked superseded and points at the copy (or at the
   * identical record already stored). So the raw store keeps both as received, a later replay of
   * rejected records never picks the bad original up again, and a copy still invalid is the one a
   * further fix replays. Segment-spec messages are not corrected here (their identity is the messageId).
   */
  async ingestCorrections(corrections: ReadonlyArray<{ original: StoredRawRecord; value: unknown }>): Promise<IngestReport> {
    const batchId = newBatchId()
    const now = Date.now()
    const bySource = new Map<string, Prepared[]>()
    const originalsByHash = new Map<string, number[]>()
    for (const { original, value } of corrections) {
      if (original.contentType === MESSAGE_CONTENT_TYPE) throw new Error(`raw record ${original.id} is a Segment-spec message: it cannot be corrected, only replayed`)
      const batch = { records: [], source: original.source, contentType: original.contentType }
      const p = this.prepare({ index: original.recordIndex, value }, batch, batchId, original.receivedAt)
      const list = bySource.get(original.source) ?? []
      list.push(p)
      bySource.set(original.source, list)
      originalsByHash.set(p.raw.contentHash, [...(originalsByHash.get(p.raw.contentHash) ?? []), original.id])
    }
    const group = [...bySource].map(([source, prepared]) => ({ prepared, batch: { batchId, receivedAt: now, source } }))
    if (group.length === 0) return emptyReport(batchId)
    const reports = await this.commitGroup(group, async (tx, inserted) => {
      const missing = [...originalsByHash.keys()].filter((hash) => !inserted.has(hash))
      const existing = missing.length > 0 ? await tx.rawIdsByHash(missing) : new Map<string, number>()
      const rows: Array<{ id: number; by: number | null }> = []
      for (const [hash, ids] of originalsByHash) for (const id of ids) rows.push({ id, by: inserted.get(hash) ?? existing.get(hash) ?? null })
      await tx.supersedeRawRecords(rows)
    })
    return mergeReports(reports)
  }

  private async commitGroup(
    group: readonly PendingBatch[],
    /** Runs in the transaction right after the raw rows are stored; `inserted` maps content hash to new raw id. */
    afterRawInsert?: (tx: IngestTransaction, inserted: ReadonlyMap<string, number>) => Promise<void>,
  ): Promise<IngestReport[]> {
    const reports = group.map(({ prepared, batch }) => {
      const report: IngestReport = { ...emptyReport(batch.batchId), processed: prepared.length }
      for (const p of prepared) {
        for (const w of p.warnings) report.warnings.push({ record: p.index, ...w })
        if (p.observation) continue
        report.failed++
        for (const e of p.errors) report.errors.push({ record: p.index, ...e })
        countReason(report.rejectedByReason, rejectionReason(p))
      }
      return report
    })
    const now = Math.max(...group.map((g) => g.batch.receivedAt))

    const outcome = await this.store.ingestTransaction(async (tx) => {
      const counts = group.map(() => ({ duplicates: 0, duplicatesInBatch: 0, accepted: 0, rawIds: [] as number[], rejectedDuplicates: {} as Record<string, number> }))
      const countRejectedDuplicate = (c: (typeof counts)[number], p: Prepared) => {
        if (!p.observation) countReason(c.rejectedDuplicates, rejectionReason(p))
      }
      // The first copy of a record wins, across the group too; the store skips copies seen before.
      const unique = new Map<string, { p: Prepared; owner: number }>()
      group.forEach(({ prepared, batch }, owner) => {
        for (const p of prepared) {
          const first = unique.get(p.raw.contentHash)
          if (!first) {
            unique.set(p.raw.contentHash, { p, owner })
            continue
          }
          const c = counts[owner] as (typeof counts)[number]
          c.duplicates++
          countRejectedDuplicate(c, p)
          if (group[first.owner]?.batch.batchId === batch.batchId) c.duplicatesInBatch++
        }
      })
      const inserted = await tx.insertRawRecords([...unique.values()].map(({ p }) => p.raw))
      await afterRawInsert?.(tx, inserted)
      const items: BatchObservation[] = []
      const messages = new Map<number, MessagePart>()
      const skipped: Array<{ hash: string; owner: number; p: Prepared }> = []
      for (const { p, owner } of unique.values()) {
        const rawId = inserted.get(p.raw.contentHash)
        const c = counts[owner] as (typeof counts)[number]
        const { source, receivedAt } = (group[owner] as PendingBatch).batch
        if (rawId === undefined) skipped.push({ hash: p.raw.contentHash, owner, p })
        else if (p.observation) {
          items.push({ observation: p.observation, rawId, source })
          c.accepted++
          c.rawIds.push(rawId)
          if (p.message) messages.set(rawId, { ...p.message, at: p.observation.observedAt, receivedAt })
        }
      }
      if (skipped.length > 0) {
        const batchOf = await tx.rawBatchIds(skipped.map((s) => s.hash))
        for (const { hash, owner, p } of skipped) {
          const c = counts[owner] as (typeof counts)[number]
          c.duplicates++
          countRejectedDuplicate(c, p)
          if (batchOf.get(hash) === group[owner]?.batch.batchId) c.duplicatesInBatch++
        }
      }
      const reason = `ingest ${[...new Set(group.map((g) => g.batch.batchId))].join(', ')}`
      const applied = await this.apply(tx, items, now, reason, messages)
      return { counts, applied }
    })

    this.notifySegments(outcome.applied.segments)
    const mergesByRaw = new Map<number, number>()
    for (const m of outcome.applied.merges) mergesByRaw.set(m.rawId, (mergesByRaw.get(m.rawId) ?? 0) + 1)
    reports.forEach((report, i) => {
      const c = outcome.counts[i] as (typeof outcome.counts)[number]
      report.duplicates = c.duplicates
      report.duplicatesInBatch = c.duplicatesInBatch
      report.rejectedDuplicatesByReason = c.rejectedDuplicates
      report.accepted = c.accepted
      const profiles = new Set<string>()
      for (const rawId of c.rawIds) {
        report.merges += mergesByRaw.get(rawId) ?? 0
        const profileId = outcome.applied.resolvedTo.get(rawId)
        if (profileId) profiles.add(profileId)
      }
      report.profilesTouched = profiles.size
    })
    return reports
  }

  /**
   * Runs stored rejected records through the current rules again (after a fix to the rules or the
   * configuration); those that pass now are applied as if they had just arrived.
   */
  async replay(rows: readonly StoredRawRecord[]): Promise<{ replayed: number; accepted: number; stillRejected: number }> {
    const now = Date.now()
    const results = rows.map((row) => {
      let stored: ReturnType<IngestPipeline['recordOf']>
      try {
        stored = this.recordOf(row)
      } catch {
        return { row, result: null, message: undefined }
      }
      const onInvalid = policyForSource(this.qualityPolicies, row.source)
      return { row, result: validateRecord(stored.record, { ...this.validateOptions, receivedAt: row.receivedAt, onInvalid }), message: stored.message }
    })
    const outcome = await this.store.ingestTransaction(async (tx) => {
      const items: BatchObservation[] = []
      const messages = new Map<number, MessagePart>()
      const updates: Parameters<IngestTransaction['updateRawOutcomes']>[0] = []
      for (const { row, result, message } of results) {
        if (!result || result.kind !== 'ok') continue
        const o = result.value
        updates.push({ id: row.id, status: 'accepted', errors: result.warnings.length > 0 ? result.warnings : null, cookie: o.cookie, email: o.email, observedAt: o.observedAt })
        items.push({ observation: o, rawId: row.id, source: row.source })
        if (message) messages.set(row.id, { ...message, at: o.observedAt, receivedAt: row.receivedAt })
      }
      await tx.updateRawOutcomes(updates)
      const applied = await this.apply(tx, items, now, 'replay of rejected records', messages)
      return { replayed: rows.length, accepted: items.length, stillRejected: rows.length - items.length, segments: applied.segments }
    })
    this.notifySegments(outcome.segments)
    return { replayed: outcome.replayed, accepted: outcome.accepted, stillRejected: outcome.stillRejected }
  }

  /**
   * The profile record a raw row stands for: itself for profile ingest; for a Segment-spec message,
   * the message translated again (at the time recorded when it was accepted, so skew correction is
   * not redone) and the event it carries.
   */
  private recordOf(row: StoredRawRecord): { record: unknown; message?: Omit<MessagePart, 'at' | 'receivedAt'> } {
    const parsed: unknown = JSON.parse(row.payload)
    // Stored before the depth bound, or rejected by it: never walked again.
    if (exceedsDepth(parsed)) return { record: null }
    const value = storableJson(parsed)
    if (row.contentType !== MESSAGE_CONTENT_TYPE) return { record: value }
    if (Buffer.byteLength(row.payload) > MAX_MESSAGE_BYTES) return { record: null }
    const t = translateMessage(value, { receivedAt: row.receivedAt, interestProperties: this.interestProperties })
    if (!t.record) return { record: null }
    return {
      record: row.observedAt === null ? t.record : { ...t.record, timestamp: row.observedAt },
      message: { messageId: t.messageId, event: t.event, anonymousId: t.anonymousId, userId: t.userId, keyedByUserId: t.keyedByUserId },
    }
  }

  private prepareMessage(record: IncomingRecord, batch: MessageBatch, batchId: string, receivedAt: number): Prepared {
    const base = { batchId, receivedAt, source: batch.source, contentType: MESSAGE_CONTENT_TYPE, recordIndex: record.index }
    const tooDeep = findTooDeep(record.value)
    if (tooDeep !== null) return tooDeepRecord(record, base, batch.source, tooDeep)
    const payload = JSON.stringify(record.value) ?? 'null'
    const translated = translateMessage(storableJson(record.value), { receivedAt, sentAt: batch.sentAt, impliedType: batch.impliedType, interestProperties: this.interestProperties })
    const hash = contentHash(batch.source, `message:${translated.messageId}`)
    const rejected = (errors: FieldIssue[]): Prepared => ({
      index: record.index,
      raw: { ...base, payload, contentHash: hash, status: 'rejected', errors, cookie: translated.anonymousId, email: null, observedAt: null },
      observation: null,
      errors,
      warnings: [],
    })
    if (Buffer.byteLength(payload) > MAX_MESSAGE_BYTES) {
      return rejected([{ field: '', reason: 'too_large', message: `a message may be at most ${MAX_MESSAGE_BYTES / 1024} KB, this one is ${(Buffer.byteLength(payload) / 1024).toFixed(1)} KB: send large properties elsewhere or split them` }])
    }
    if (!translated.record) return rejected(translated.errors)
    const result = validateRecord(translated.record, { ...this.validateOptions, receivedAt, onInvalid: policyForSource(this.qualityPolicies, batch.source) })
    if (result.kind === 'rejected') return rejected(result.errors)
    const o = result.value
    return {
      index: record.index,
      raw: { ...base, payload, contentHash: hash, status: 'accepted', errors: result.warnings.length > 0 ? result.warnings : null, cookie: o.cookie, email: o.email, observedAt: o.observedAt },
      observation: o,
      errors: [],
      warnings: result.warnings,
      message: { messageId: translated.messageId, event: translated.event, anonymousId: translated.anonymousId, userId: translated.userId, keyedByUserId: translated.keyedByUserId },
    }
  }

  private prepare(record: IncomingRecord, batch: IngestBatch, batchId: string, receivedAt: number): Prepared {
    const base = {
      batchId,
      receivedAt,
      source: batch.source,
      contentType: batch.contentType,
      recordIndex: record.index,
    }
    if (isUnparseable(record.value)) {
      const text = record.value.text ?? ''
      // Kept as a JSON string: the text comes back exactly (GET /api/raw decodes it), and a NUL in
      // it is the escape \u0000, which PostgreSQL text can hold. The hash stays that of the text.
      const payload = JSON.stringify(text)
      const errors: FieldIssue[] = [{ field: '', reason: 'unparseable', message: record.value.message }]
      return {
        index: record.index,
        raw: { ...base, payload, contentHash: contentHash(batch.source, text), status: 'rejected', errors, cookie: null, email: null, observedAt: null },
        observation: null,
        errors,
        warnings: [],
      }
    }
    const tooDeep = findTooDeep(record.value)
    if (tooDeep !== null) return tooDeepRecord(record, base, batch.source, tooDeep)
    // The payload is the record as received (JSON escapes NUL); what is read from it is made storable.
    const payload = JSON.stringify(record.value)
    const hash = contentHash(batch.source, canonicalJson(record.value))
    const value = storableJson(record.value)
    const onInvalid = batch.onInvalid ?? policyForSource(this.qualityPolicies, batch.source)
    const result = validateRecord(value, { ...this.validateOptions, receivedAt, onInvalid })
    if (result.kind === 'rejected') {
      const cookie = result.cookie ?? null
      return {
        index: record.index,
        raw: { ...base, payload, contentHash: hash, status: 'rejected', errors: result.errors, cookie, email: null, observedAt: null },
        observation: null,
        errors: result.errors,
        warnings: [],
      }
    }
    const o = result.value
    return {
      index: record.index,
      raw: {
        ...base,
        payload,
        contentHash: hash,
        status: 'accepted',
        errors: result.warnings.length > 0 ? result.warnings : null,
        cookie: o.cookie,
        email: o.email,
        observedAt: o.observedAt,
      },
      observation: o,
      errors: [],
      warnings: result.warnings,
    }
  }

  /** Resolves accepted observations into profiles and brings their cohorts up to date. */
  private async apply(
    tx: IngestTransaction,
    items: BatchObservation[],
    now: number,
    reason: string,
    messages?: ReadonlyMap<number, MessagePart>,
  ): Promise<{ merges: MergeLogEntry[]; resolvedTo: ReadonlyMap<number, string>; segments: Set<string> }> {
    if (items.length === 0) return { merges: [], resolvedTo: new Map(), segments: new Set() }
    const cookies = [...new Set(items.map((i) => i.observation.cookie))]
    const emails = [...new Set(items.flatMap((i) => (i.observation.email ? [i.observation.email] : [])))]
    await tx.lockIdentifiers([...cookies.map((c) => `cookie:${c}`), ...emails.map((e) => `email:${e}`)])
    const state = await tx.loadResolveState({ cookies, emails })
    const changes = resolveBatch(state, items, { newProfileId: this.makeProfileId, now })
    await tx.saveResolution({
      profiles: changes.profiles,
      loaded: state.profiles,
      absorbed: changes.absorbed,
      identities: [...changes.identities.values()],
      logins: changes.logins,
      merges: changes.merges,
      now,
    })

    const touched = new Map(changes.profiles)
    for (const email of [...changes.rebuild].sort()) {
      const rebuilt = await this.rebuildPerson(tx, email)
      if (rebuilt) touched.set(rebuilt.id, rebuilt)
    }

    if (messages && messages.size > 0) await this.saveMessages(tx, messages, changes.resolvedTo)

    const current = await tx.loadMemberships([...touched.keys(), ...changes.absorbed.map((a) => a.id)])
    const desired = new Map<string, Map<string, DesiredMembership>>()
    for (const profile of touched.values()) desired.set(profile.id, desiredMemberships(profile, this.classifier, this.cohortIds))
    await tx.saveMemberships(diffMemberships(current, desired, now))
    const segments = this.segmentEngine
      ? await this.segmentEngine.evaluate(tx, { profiles: touched.values(), cohorts: this.cohortScores(desired), absorbed: changes.absorbed, reason, now })
      : new Set<string>()
    return { merges: changes.merges, resolvedTo: changes.resolvedTo, segments }
  }

  /** Events and userId links of accepted messages, now that each message's profile is known. */
  private async saveMessages(tx: IngestTransaction, messages: ReadonlyMap<number, MessagePart>, resolvedTo: ReadonlyMap<number, string>): Promise<void> {
    const events: Parameters<IngestTransaction['insertEvents']>[0] = []
    const users: Parameters<IngestTransaction['linkUserIds']>[0] = []
    for (const [rawId, m] of messages) {
      const profileId = resolvedTo.get(rawId)
      if (!profileId) continue
      if (m.event) {
        events.push({ profileId, ...m.event, at: m.at, receivedAt: m.receivedAt, messageId: m.messageId, rawId, anonymousId: m.anonymousId, userId: m.userId })
      }
      if (m.userId) users.push({ userId: m.userId, userIdCookie: `${USER_ID_COOKIE_PREFIX}${m.userId}`, profileId, at: m.at })
    }
    await tx.insertEvents(events)
    await tx.linkUserIds(users)
  }

  /**
   * Folds a person again from every observation that belongs to them: their own records and the
   * anonymous records of their cookies that the login timeline assigns to them. Needed when a login
   * arrives after observations it precedes (see resolve-batch.ts).
   */
  private async rebuildPerson(tx: IngestTransaction, email: string): Promise<ProfileState | undefined> {
    const evidence = await tx.loadPersonEvidence(email)
    if (!evidence.profile) return undefined
    const observations: BatchObservation[] = []
    for (const row of evidence.records) {
      // Only accepted rows come here. drop_field reads an accepted record exactly as the policy that
      // accepted it did (with reject, nothing was dropped), so the fold matches what was ingested.
      const result = validateRecord(this.recordOf(row).record, { ...this.validateOptions, receivedAt: row.receivedAt, onInvalid: 'drop_field' })
      if (result.kind !== 'ok') continue
      const o = result.value
      if (o.email !== null && o.email !== email) continue
      if (o.email === null && assignAnonymous(evidence.logins.get(o.cookie) ?? [], o.observedAt) !== email) continue
      observations.push({ observation: o, rawId: row.id, source: row.source })
    }
    observations.sort(compareObservations)
    let profile = emptyProfile(evidence.profile.id, email, evidence.profile.createdAt)
    for (const item of observations) profile = applyObservation(profile, item.observation, item.source)
    await tx.replaceProfile(profile)
    return profile
  }
}
