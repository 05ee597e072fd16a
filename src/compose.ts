// Opens what every entry point needs: the store (migrated), the classifier with the deployment's
// custom cohorts and corrections, the ingest pipeline.
import { KEY_KINDS } from './domain/identifier-kinds.ts'
import type { CountryCode } from 'libphonenumber-js'
import { CohortService } from './cohorts/service.ts'
import { ChangeNotifier } from './activation/notifier.ts'
import { SegmentService } from './segments/service.ts'
import { IdentityService } from './privacy/identity-service.ts'
import { PrivacyService } from './privacy/service.ts'
import { createLikelyMatchService, type LikelyMatchService } from './privacy/likely-matches.ts'
import { WebhookDispatcher } from './activation/webhooks/dispatcher.ts'
import type { ActivationStore } from './storage/ports/activation.ts'
import type { Config } from './config.ts'
import { loadDefaultClassifier } from './ml/default-classifier.ts'
import { createIngestPipeline, type IngestPipeline } from './pipeline/run.ts'
import { createPreparePool } from './pipeline/prepare/pool.ts'
import type { PrepareSettings } from './pipeline/prepare/tasks.ts'
import { DEFAULT_EMAIL_BLOCKLIST } from './pipeline/validate/index.ts'
import { createActivationStore } from './storage/sql/activation-store.ts'
import { createPrivacyStore } from './storage/sql/privacy-store.ts'
import { createLikelyMatchReader } from './storage/sql/likely-match-store.ts'
import { openDatabase } from './storage/sql/open.ts'
import { createSqlStore } from './storage/sql/sql-store.ts'
import { createWriteQueue } from './storage/sql/write-queue.ts'
import type { Store } from './storage/ports/store.ts'

export interface Runtime {
  config: Config
  store: Store
  pipeline: IngestPipeline
  cohorts: CohortService
  segments: SegmentService
  notifier: ChangeNotifier
  /** The change log and webhook state, for the change stream and webhook routes. */
  activation: ActivationStore
  /** Delivers webhooks; started only in the background (server) process. */
  webhooks: WebhookDispatcher
  /** Erasure, suppression, the access export, retention. */
  privacy: PrivacyService
  /** Merge history, unmerge, manual merge. */
  identity: IdentityService
  /** Likely matches (CDP_LIKELY_MATCHES): suggested links between anonymous profiles. */
  likelyMatches: LikelyMatchService
  close(): Promise<void>
}

export interface RuntimeOptions {
  /** Retrain the model in the background when custom cohorts or corrections change (the server does). */
  retrain?: boolean
  /** Run segment backfills and the time-window scheduler here (the server does; one-off commands do not). */
  background?: boolean
  schedulerIntervalMs?: number
  /** With group commit: records per transaction at most (see WriteQueueOptions.transactionRecords). */
  transactionRecords?: number
  log?: (message: string) => void
  /** The prepare workers' entry module; tests pass one that dies. */
  prepareWorkerEntry?: URL
}

// Parts of 100 records, grouped into transactions of about 40 ms: a real-time event waits at most
// about that long for the writer, whatever the load (docs/benchmarks.md, bench:events).
const SERVER_TRANSACTION_RECORDS = 100
const SERVER_TRANSACTION_MS = 15

/** The store alone (migrated), for commands that need nothing else (`cdp keys`). */
export async function openStore(config: Config, options: { log?: (message: string) => void } = {}): Promise<Store> {
  return createSqlStore(await openDatabase(config, options), options)
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const database = await openDatabase(config, { log: options.log })
  const store = createSqlStore(database, { log: options.log })
  const base = loadDefaultClassifier()
  // The server keeps transactions short so real-time events never wait long behind a bulk batch
  // (docs/benchmarks.md); one-off commands (cdp import) write whole batches.
  const queueOptions = {
    transactionRecords: options.background ? (options.transactionRecords ?? SERVER_TRANSACTION_RECORDS) : options.transactionRecords,
    transactionMs: options.background ? SERVER_TRANSACTION_MS : undefined,
  }
  const prepareSettings: PrepareSettings = {
    validate: {
      emailBlocklist: new Set([...DEFAULT_EMAIL_BLOCKLIST, ...config.extraEmailBlocklist]),
      defaultPhoneCountry: config.defaultPhoneCountry as CountryCode,
      consentPurposes: config.consentPurposes,
      identifierKinds: config.identity.kinds.filter((k) => !KEY_KINDS.has(k.kind)).map((k) => ({ kind: k.kind, blocked: k.blocked })),
    },
    interestProperties: config.eventInterests,
    qualityPolicies: config.qualityPolicies,
  }
  // Large batches are prepared in worker threads; the main thread resolves and writes.
  const preparePool = config.ingestWorkers > 0 ? createPreparePool({ size: config.ingestWorkers, settings: prepareSettings, entry: options.prepareWorkerEntry }) : undefined
  // The server loads its workers now, so the first bulk request does not wait; one-off commands
  // and tests start them on their first large batch, if any.
  if (options.background) preparePool?.start()
  const pipeline = createIngestPipeline({
    store,
    classifier: base,
    ...prepareSettings,
    preparePool,
    // Group commit where the store has one writer: batches that arrive while it writes go in together.
    writeQueue: store.groupCommit ? (batches) => createWriteQueue(batches, queueOptions) : undefined,
    log: options.log,
    identityLimits: config.identityLimits,
    identity: config.identity,
    recordSightings: config.likelyMatches.enabled,
  })
  const cohorts = new CohortService({ store, pipeline, base, dataDir: config.dataDir, retrain: options.retrain ?? false, log: options.log })
  await cohorts.init()
  const notifier = new ChangeNotifier()
  const segments = new SegmentService({
    store,
    cohortNameKey: (cohortId) => pipeline.cohortNameKey(cohortId),
    notifier,
    background: options.background ?? false,
    schedulerIntervalMs: options.schedulerIntervalMs,
    consentPurposes: config.consentPurposes,
    log: options.log,
  })
  pipeline.useSegments(segments.engine, (ids) => notifier.notify(ids))
  await segments.init()
  const activation = createActivationStore(database)
  const log = options.log
  const webhooks = new WebhookDispatcher({
    store: activation,
    notifier,
    targets: config.webhookTargets,
    log: log ? (message, error) => log(`${message}: ${String(error)}`) : undefined,
  })
  if (options.background) webhooks.start()
  const privacy = new PrivacyService({ config, store: createPrivacyStore(database), pipeline, notifier, background: options.background ?? false, log })
  await privacy.init()
  const identity = new IdentityService({ pipeline, store, log })
  const likelyMatches = createLikelyMatchService({ ...config.likelyMatches, reader: createLikelyMatchReader(database.reader) })
  return {
    config,
    store,
    pipeline,
    cohorts,
    segments,
    notifier,
    activation,
    webhooks,
    privacy,
    identity,
    likelyMatches,
    async close() {
      await privacy.close()
      // Deliveries in flight finish (or time out) and record their outcome before the database closes.
      await webhooks.stop()
      await segments.close()
      await cohorts.close()
      await preparePool?.close()
      await store.close()
    },
  }
}

/** Opens a runtime for one command's work and closes it afterwards, whatever the work does. */
export async function withRuntime<T>(config: Config, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(config)
  try {
    return await work(runtime)
  } finally {
    await runtime.close()
  }
}
