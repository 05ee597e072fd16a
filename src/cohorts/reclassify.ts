// Backfill: re-evaluates every profile's cohorts with the current classifier, page by page, each
// page its own short transaction, so ingestion goes on between pages. Runs after a model swap, a new
// custom cohort or a correction, and on demand (`cdp reclassify`, POST /api/cohorts/reclassify).
import type { IngestPipeline } from '../pipeline/run.ts'
import type { ProfileReader } from '../storage/ports/profiles.ts'

export const RECLASSIFY_PAGE = 500

export interface ReclassifyStatus {
  state: 'running' | 'done' | 'failed' | 'stopped'
  reason: string
  /** The model version the walk classifies with (the latest when the classifier changed mid-walk). */
  modelVersion: string
  processed: number
  /** Profiles at the start; ingestion may add more while the walk runs. */
  total: number
  /** Membership rows written or removed. */
  changed: number
  startedAt: number
  finishedAt: number | null
  error: string | null
}

export interface ReclassifierOptions {
  /** The walk over every profile. */
  store: Pick<ProfileReader, 'countProfiles' | 'listProfileIds'>
  /** Classifies a page of profiles again with the classifier serving now. */
  pipeline: Pick<IngestPipeline, 'interestClassifier' | 'reclassify'>
  /** Where a background walk that could not even start (the database is down) is reported. */
  log?: (message: string) => void
}

export class Reclassifier {
  private current: ReclassifyStatus | null = null
  private running: Promise<ReclassifyStatus | null> | null = null
  private rerun: string | null = null
  private stopping = false

  private readonly store: ReclassifierOptions['store']
  private readonly pipeline: ReclassifierOptions['pipeline']
  private readonly log: (message: string) => void

  constructor(options: ReclassifierOptions) {
    this.store = options.store
    this.pipeline = options.pipeline
    this.log = options.log ?? (() => {})
  }

  status(): ReclassifyStatus | null {
    return this.current ? { ...this.current } : null
  }

  /**
   * Starts a walk in the background, or, when one is running, queues one more after it: pages the
   * running walk already passed were classified by the classifier it replaced.
   */
  start(reason: string): ReclassifyStatus {
    if (this.running) {
      this.rerun = reason
      return this.status() as ReclassifyStatus
    }
    // A failed page is recorded in the status (walk); a walk that fails before its first page is logged.
    // Nobody awaits a background walk, so `running` never rejects.
    this.running = this.walk(reason, () => {})
      .catch((error: unknown) => {
        this.log(`reclassification (${reason}) could not run: ${error instanceof Error ? error.message : String(error)}`)
        return this.status()
      })
      .finally(() => {
        this.running = null
        const next = this.rerun
        this.rerun = null
        if (next !== null) this.start(next)
      })
    return this.status() as ReclassifyStatus
  }

  /** Stops the running walk after its current page (the process is shutting down). */
  async stop(): Promise<void> {
    this.stopping = true
    this.rerun = null
    await this.idle()
    this.stopping = false
  }

  /** Resolves when no walk is running or queued. */
  async idle(): Promise<ReclassifyStatus | null> {
    while (this.running) await this.running
    return this.status()
  }

  /** Runs one walk in the foreground (the CLI), reporting progress after each page. */
  async run(reason: string, onProgress: (status: ReclassifyStatus) => void): Promise<ReclassifyStatus> {
    await this.idle()
    return this.walk(reason, onProgress)
  }

  private async walk(reason: string, onProgress: (status: ReclassifyStatus) => void): Promise<ReclassifyStatus> {
    const store = this.store
    const status: ReclassifyStatus = {
      state: 'running',
      reason,
      modelVersion: this.pipeline.interestClassifier.version,
      processed: 0,
      total: await store.countProfiles(),
      changed: 0,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
    }
    this.current = status
    try {
      let after: string | undefined
      for (;;) {
        const ids = await store.listProfileIds({ afterId: after, limit: RECLASSIFY_PAGE })
        if (ids.length === 0) break
        if (this.stopping) {
          status.state = 'stopped'
          break
        }
        status.modelVersion = this.pipeline.interestClassifier.version
        status.changed += await this.pipeline.reclassify(ids)
        status.processed += ids.length
        after = ids[ids.length - 1]
        onProgress({ ...status })
        // Lets waiting requests in between pages: on SQLite every page holds the only write lock.
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (status.state === 'running') status.state = 'done'
    } catch (error) {
      status.state = 'failed'
      status.error = error instanceof Error ? error.message : String(error)
    }
    status.finishedAt = Date.now()
    onProgress({ ...status })
    return { ...status }
  }
}
