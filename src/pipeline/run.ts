// The ingest pipeline: prepare → raw store → identity → events → cohorts → segments, one transaction
// per batch (or per group of batches, with a write queue). Once `ingest` resolves, every stage is
// committed and visible to readers. This file only chains the stages; each lives in its own module.
// Stages return plain values: an expected rejection (a bad record) is data in the prepared record,
// stored like any other; what a stage throws is a bug or an outage and fails the transaction.
import { newBatchId, newProfileId } from '../domain/ids.ts'
import type { InterestClassifier } from '../domain/types.ts'
import type { InterestProperty } from '../collect/segment-spec.ts'
import type { SegmentEngine } from '../segments/engine.ts'
import type { IngestTransaction } from '../storage/ports/ingest.ts'
import type { CohortStore } from '../storage/ports/cohorts.ts'
import type { TransactionRunner } from '../storage/ports/ingest.ts'
import type { WriteQueueFactory } from '../storage/ports/write-queue.ts'
import { activeClassifier, createClassifyStage } from './classify/stage.ts'
import { createRecordConsentStage } from './consent/stage.ts'
import { createSaveEventsStage } from './events/stage.ts'
import { createResolveIdentityStage } from './identity/stage.ts'
import type { BatchObservation } from './identity/resolve-batch.ts'
import { cutBeforeUserIdMessages } from './prepare/message.ts'
import type { PreparePool } from './prepare/pool.ts'
import { createPrepareRecord } from './prepare/record.ts'
import { createPrepareTasks, type PrepareOutcome, type PrepareTask, toWireRecords } from './prepare/tasks.ts'
import { createReadAcceptedObservation, createReadStoredRecord } from './prepare/stored-record.ts'
import { createReplay } from './replay.ts'
import { createRebuild } from './rebuild.ts'
import type { IdentityLimits } from '../domain/identity.ts'
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from '../domain/identifier-kinds.ts'
import { createLinkIdentifiersStage } from './identity/link-stage.ts'
import type { RebuildIds } from './identity/rebuild-ids.ts'
import { createStoreRawStage } from './raw/stage.ts'
import { createRecordSightingsStage } from './likely/stage.ts'
import type { BodyBatch, GroupBatch, IngestBatch, MessageBatch, MessagePart, PreparedRecord } from './records.ts'
import { completeReport, type IngestReport, mergeReports, preparedReport } from './report.ts'
import { ok, type Outcome, rejected } from '../domain/outcome.ts'
import { createSegmentsStage } from './segments/stage.ts'
import { DEFAULT_QUALITY_POLICIES, policyForSource, type QualityPolicies, type ValidateOptions } from './validate/index.ts'

export interface PipelineOptions {
  /** Transactions for the stages, and the cohort catalogue a classifier registers. */
  store: TransactionRunner & Pick<CohortStore, 'upsertCohorts'>
  classifier: InterestClassifier
  validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>
  /** Per source: reject records with an invalid optional field (the default) or drop the field. */
  qualityPolicies?: QualityPolicies
  newProfileId?: () => string
  /** Which event properties become interests (default: every event's "category"). */
  interestProperties?: readonly InterestProperty[]
  /** Group commit (compose.ts passes one where the store asks for it); without, each batch is its own transaction. */
  writeQueue?: WriteQueueFactory
  /** Hears what the pipeline skips and why (a stored payload that no longer reads). */
  log?: (message: string) => void
  /** Identity guardrails (config.identityLimits); none when absent. */
  identityLimits?: IdentityLimits
  /** Identifier kinds, their limits and blocked values (config.identity); the defaults when absent. */
  identity?: IdentitySettings
  /**
   * Worker threads that prepare large batches (parse, validate, normalize, hash) off the main
   * thread, built with the same validation settings; without, everything is prepared here.
   */
  preparePool?: PreparePool
  /** Keep device sightings for likely matches (CDP_LIKELY_MATCHES); off by default. */
  recordSightings?: boolean
}

// Below these a batch is prepared on the main thread: the round trip to a worker (~0.1–0.3 ms, plus
// cloning) costs more than it saves, and a single record's latency is the real-time path's.
/** Records (or messages) per batch from which a worker prepares it. */
export const MIN_WORKER_RECORDS = 20
/** Body length (characters) from which a worker parses and prepares it: some 15–40 typical records. */
export const MIN_WORKER_BODY_CHARS = 4 * 1024

export type IngestPipeline = ReturnType<typeof createIngestPipeline>

export function createIngestPipeline(options: PipelineOptions) {
  const { store, validate, interestProperties } = options
  const qualityPolicies = options.qualityPolicies ?? DEFAULT_QUALITY_POLICIES
  const log = options.log ?? ((message: string) => console.warn(message))
  let active = activeClassifier(options.classifier)
  let engine: Pick<SegmentEngine, 'evaluate'> | null = null
  let segmentsChanged: (segmentIds: Set<string>) => void = () => {}
  let isSuppressed: ((record: PreparedRecord) => boolean) | null = null
  const notifySegments = (changed: Set<string>): void => {
    if (changed.size > 0) segmentsChanged(changed)
  }

  const prepareRecord = createPrepareRecord({ validate, qualityPolicies })
  // The same preparation a worker runs (prepare/tasks.ts), for batches too small to send there.
  const runPrepareTask = createPrepareTasks({ validate, qualityPolicies, interestProperties })
  const pool = options.preparePool
  /** Whether a batch of this size goes to a worker. */
  const inWorker = (size: number, minimum: number): boolean => pool !== undefined && size >= minimum
  /** What the worker returns is what this thread would have built. */
  async function prepare(task: PrepareTask, worker: boolean): Promise<PrepareOutcome> {
    return pool && worker ? await pool.run(task) : runPrepareTask(task)
  }
  const preparedOf = (outcome: PrepareOutcome): PreparedRecord[] => {
    // Only a body can be unreadable as a whole; records and messages are each prepared on their own.
    if (outcome.kind === 'rejected') throw new Error(`a batch of parsed records was rejected as a whole: ${outcome.reason}`)
    return outcome.prepared
  }
  const readStoredRecord = createReadStoredRecord({ interestProperties, consentPurposes: validate.consentPurposes })
  const storeRaw = createStoreRawStage()
  const observationOf = createReadAcceptedObservation({ readStoredRecord, validate })
  const identitySettings = options.identity ?? DEFAULT_IDENTITY_SETTINGS
  const resolveIdentity = createResolveIdentityStage({ newProfileId: options.newProfileId ?? newProfileId, observationOf, limits: options.identityLimits, settings: identitySettings })
  const linkIdentifiers = createLinkIdentifiersStage({ settings: identitySettings, newProfileId: options.newProfileId ?? newProfileId })
  const saveEvents = createSaveEventsStage()
  const recordConsent = createRecordConsentStage()
  const classify = createClassifyStage()
  const evaluateSegments = createSegmentsStage({ engine: () => engine })
  const recordSightings = options.recordSightings ? createRecordSightingsStage() : null

  /** Accepted observations, stored for the first time, through the stages that follow the raw store. */
  async function apply(tx: IngestTransaction, items: BatchObservation[], messages: ReadonlyMap<number, MessagePart>, now: number, reason: string, rebuild?: RebuildIds) {
    if (items.length === 0) return { merges: [], resolvedTo: new Map<number, string>(), segments: new Set<string>() }
    const identities = await resolveIdentity(tx, items, now, rebuild)
    // Linked identifiers (user_id, phone, device_id, …) go to the person each record resolved to.
    const linked = await linkIdentifiers(tx, items, identities.resolvedTo, now, identities.created)
    for (const profile of linked.created) {
      identities.touched.set(profile.id, profile)
      identities.created.add(profile.id)
    }
    // Events after identity: each is stored under the profile its message resolved to.
    await saveEvents(tx, messages, identities.resolvedTo)
    // Consent history after identity too: each statement is kept under its record's profile.
    await recordConsent(tx, items, identities.resolvedTo)
    // Device sightings (likely matches, only when on) are keyed by cookie: no ordering constraint.
    if (recordSightings) await recordSightings(tx, messages)
    // Cohorts after identity (rebuilt persons included): scored on profiles as they now stand, and
    // profiles absorbed by a merge lose theirs.
    const { touched, absorbed } = identities
    const classified = await classify(tx, { active, profiles: touched.values(), absorbedIds: absorbed.map((a) => a.id), now })
    // Segments last: their conditions read the cohort scores of this transaction.
    const segments = await evaluateSegments(tx, { profiles: touched.values(), created: identities.created, cohortScores: classified.cohortScores, absorbed, reason, now })
    return { merges: [...identities.merges, ...linked.merges], resolvedTo: identities.resolvedTo, segments }
  }

  /** One transaction for a group of batches; one report per batch. */
  async function writeGroup(group: readonly GroupBatch[], afterRawInsert?: (tx: IngestTransaction, inserted: ReadonlyMap<string, number>) => Promise<void>): Promise<IngestReport[]> {
    const reports = group.map(({ prepared, batch }) => preparedReport(batch.batchId, prepared))
    const now = Math.max(...group.map((g) => g.batch.receivedAt))
    const reason = `ingest ${[...new Set(group.map((g) => g.batch.batchId))].join(', ')}`
    const outcome = await store.ingestTransaction(async (tx) => {
      // Raw rows before anything else: a rejected record is kept too, and only records stored for
      // the first time go on (a copy sent again changes nothing).
      const raw = await storeRaw(tx, group)
      await afterRawInsert?.(tx, raw.inserted)
      return { counts: raw.counts, applied: await apply(tx, raw.items, raw.messages, now, reason) }
    })
    // After commit: listeners read what was written.
    notifySegments(outcome.applied.segments)
    reports.forEach((report, i) => completeReport(report, outcome.counts[i] as (typeof outcome.counts)[number], outcome.applied.merges, outcome.applied.resolvedTo))
    return reports
  }

  const queue = options.writeQueue?.<GroupBatch, IngestReport>({ write: writeGroup, size: (g) => g.prepared.length, split: (g, n) => chunks(g.prepared, n).map((prepared) => ({ prepared, batch: g.batch })) })
  async function commit(all: readonly PreparedRecord[], batch: GroupBatch['batch']): Promise<IngestReport> {
    // Records carrying a suppressed identifier (privacy/service.ts) are refused before the raw store: never stored.
    const refuse = isSuppressed
    const prepared = refuse ? all.filter((p) => !refuse(p)) : all
    const reports = prepared.length === 0 ? [preparedReport(batch.batchId, [])] : queue ? await queue.submit({ prepared, batch }) : await writeGroup([{ prepared, batch }])
    const report = reports.length === 1 ? (reports[0] as IngestReport) : mergeReports(reports)
    report.suppressed += all.length - prepared.length
    report.processed += all.length - prepared.length
    return report
  }

  const { replay, ingestCorrections } = createReplay({
    store,
    readStoredRecord,
    validateOf: (row) => ({ ...validate, receivedAt: row.receivedAt, onInvalid: policyForSource(qualityPolicies, row.source) }),
    prepareRecord,
    apply,
    writeGroup,
    notifySegments,
    log,
  })

  // Unmerge and manual merge: the stages after the raw store, over stored rows (rebuild.ts).
  const identityTransaction = createRebuild({ store, readStoredRecord, validate, apply, classify, evaluateSegments, active: () => active, sharedDeviceEmails: options.identityLimits?.sharedDeviceEmails, notifySegments })

  return {
    store,
    identityTransaction,
    get interestClassifier(): InterestClassifier {
      return active.classifier
    },
    /**
     * Business segments to keep current in every transaction that changes profiles; `changed` hears,
     * after commit, which segments gained or lost members.
     */
    useSegments(next: SegmentEngine, changed: (segmentIds: Set<string>) => void): void {
      engine = next
      segmentsChanged = changed
    },
    /** Refuses records that carry a suppressed identifier (privacy/service.ts); null when the list is empty. */
    useSuppression(next: ((record: PreparedRecord) => boolean) | null): void {
      isSuppressed = next
    },
    /** Cohort id -> lower-cased name, as segment conditions name cohorts. */
    cohortNameKey: (cohortId: string): string => active.cohortNameKeys.get(cohortId) ?? cohortId,
    /** Registers the classifier's cohorts; run once at start and whenever the classifier changes. */
    async syncCohorts(): Promise<void> {
      await store.upsertCohorts(active.classifier.cohorts().map((c) => ({ ...c, terms: [...c.terms] })))
    },
    /**
     * Swaps in another classifier (a retrained model, a new custom cohort). Its cohorts are registered
     * first, so no batch can write a membership of a cohort the database does not know yet. Batches
     * already running finish with the classifier they started with; profiles they touched are brought
     * up to date by the backfill that follows every swap (cohorts/reclassify.ts).
     */
    async useClassifier(next: InterestClassifier): Promise<void> {
      await store.upsertCohorts(next.cohorts().map((c) => ({ ...c, terms: [...c.terms] })))
      active = activeClassifier(next)
    },
    /** Re-evaluates the cohorts of these profiles with the current classifier; returns the membership rows changed. */
    async reclassify(profileIds: string[]): Promise<number> {
      const pinned = active
      const result = await store.ingestTransaction(async (tx) => {
        const profiles = await tx.loadProfiles(profileIds)
        const now = Date.now()
        const classified = await classify(tx, { active: pinned, profiles: profiles.values(), now })
        const reason = `reclassified by ${pinned.classifier.version}`
        return { changed: classified.changed, segments: await evaluateSegments(tx, { profiles: profiles.values(), cohortScores: classified.cohortScores, reason, now }) }
      })
      notifySegments(result.segments)
      return result.changed
    },
    async ingest(batch: IngestBatch): Promise<IngestReport> {
      const context = recordContext(batch)
      const worker = inWorker(batch.records.length, MIN_WORKER_RECORDS)
      const outcome = await prepare({ kind: 'records', records: worker ? toWireRecords(batch.records) : [...batch.records], batch: context }, worker)
      return await commit(preparedOf(outcome), context)
    },
    /** A request body: parsed and prepared (in a worker when large), then written; rejected (a 400) when it cannot be read at all. */
    async ingestBody(body: BodyBatch): Promise<Outcome<IngestReport>> {
      const context = recordContext({ ...body, contentType: body.format })
      const outcome = await prepare({ kind: 'body', text: body.text, format: body.format, delimiter: body.delimiter, batch: context }, inWorker(body.text.length, MIN_WORKER_BODY_CHARS))
      if (outcome.kind === 'rejected') return rejected(outcome.reason)
      return ok(await commit(outcome.prepared, context))
    },
    async ingestMessages(batch: MessageBatch): Promise<IngestReport> {
      const receivedAt = batch.receivedAt ?? Date.now()
      const batchId = newBatchId()
      const context = { source: batch.source, batchId, receivedAt, sentAt: batch.sentAt, impliedType: batch.impliedType, ...(batch.client ? { client: batch.client } : {}) }
      const outcome = await prepare({ kind: 'messages', messages: [...batch.messages], context }, inWorker(batch.messages.length, MIN_WORKER_RECORDS))
      const parts = cutBeforeUserIdMessages(preparedOf(outcome))
      // The parts commit in order: a later part may name a userId an earlier one links.
      const reports: IngestReport[] = []
      for (const part of parts) reports.push(await commit(part, { batchId, receivedAt, source: batch.source }))
      return reports.length === 1 ? (reports[0] as IngestReport) : mergeReports(reports)
    },
    replay,
    ingestCorrections,
  }
}

function recordContext(batch: Pick<IngestBatch, 'source' | 'contentType' | 'receivedAt' | 'batchId' | 'onInvalid'>) {
  const receivedAt = batch.receivedAt ?? Date.now()
  const batchId = batch.batchId ?? newBatchId()
  return { source: batch.source, contentType: batch.contentType, batchId, receivedAt, ...(batch.onInvalid ? { onInvalid: batch.onInvalid } : {}) }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = []
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size))
  return parts
}
