// The cohorts a deployment classifies into: the model's twelve, plus admin-defined custom cohorts and
// corrections. A change works at once (seed matching and overrides wrapped around the model), then
// the model is retrained with it in a worker thread and swapped in atomically; every swap is followed
// by a backfill of all profiles. Retrained weights are kept in CDP_DATA_DIR/model/<hash of the
// extras>/, so a restart reuses them instead of training again.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CohortDefinition } from '../domain/types.ts'
import { AppError } from '../errors.ts'
import {
  extrasHash,
  loadModelClassifier,
  retrainInWorker,
  withCustomCohort,
  withOverrides,
  type ModelClassifier,
  type ModelExtras,
} from '../ml/model/index.ts'
import { normalizeText } from '../ml/model/text.ts'
import type { IngestPipeline } from '../pipeline/run.ts'
import { Reclassifier } from './reclassify.ts'
import type { CorrectionRow } from '../domain/cohort.ts'
import type { CohortStore } from '../storage/ports/cohorts.ts'
import type { ProfileReader } from '../storage/ports/profiles.ts'

export const MIN_SEEDS = 10
export const MAX_SEEDS = 30
/** Several edits in a row (a batch of corrections) retrain once. */
const RETRAIN_DELAY_MS = 1_000

export interface TrainingStatus {
  state: 'idle' | 'scheduled' | 'training' | 'failed'
  /** The model version serving now. */
  modelVersion: string
  /** Whether the serving model was trained with every custom cohort and correction. */
  upToDate: boolean
  lastTrainedAt: number | null
  lastSeconds: number | null
  error: string | null
}

export interface NewCohort {
  name: string
  description: string
  terms: string[]
  examples?: string[]
}

/** The cohort catalogue and corrections, and the profile walk of the reclassifier. */
export type CohortServiceStore = Pick<CohortStore, 'listCohorts' | 'createCustomCohort' | 'saveCorrection' | 'listCorrections'> &
  Pick<ProfileReader, 'countProfiles' | 'listProfileIds'>

/** What the service asks of the ingest pipeline: which classifier serves, swapping it, reclassifying a page. */
export type CohortPipeline = Pick<IngestPipeline, 'interestClassifier' | 'useClassifier' | 'reclassify'>

export interface CohortServiceOptions {
  store: CohortServiceStore
  pipeline: CohortPipeline
  /** The committed model, as loaded at start. */
  base: ModelClassifier
  dataDir: string
  /** False in processes that only read (CLI commands): changes are then picked up at the next start. */
  retrain: boolean
  log?: (message: string) => void
}

export function cohortIdFor(name: string, taken: ReadonlySet<string>): string {
  const slug = normalizeText(name).replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || 'custom'
  let id = `coh_${slug}`
  for (let n = 2; taken.has(id); n++) id = `coh_${slug}_${n}`
  return id
}

export class CohortService {
  readonly reclassifier: Reclassifier
  private readonly store: CohortServiceStore
  private readonly pipeline: CohortPipeline
  private readonly base: ModelClassifier
  private readonly modelRoot: string
  private readonly retrainEnabled: boolean
  private readonly log: (message: string) => void
  private extras: ModelExtras = { cohorts: [], examples: [] }
  private corrections: CorrectionRow[] = []
  /** The model trained with the current extras, once there is one. */
  private trained: { hash: string; model: ModelClassifier } | null = null
  private serving: ModelClassifier
  private timer: NodeJS.Timeout | null = null
  private training: Promise<void> | null = null
  private trainingStatus: TrainingStatus

  constructor(options: CohortServiceOptions) {
    this.store = options.store
    this.pipeline = options.pipeline
    this.base = options.base
    this.modelRoot = path.join(options.dataDir, 'model')
    this.retrainEnabled = options.retrain
    this.log = options.log ?? (() => {})
    this.reclassifier = new Reclassifier({ store: options.store, pipeline: options.pipeline, log: options.log })
    this.serving = options.base
    this.trainingStatus = { state: 'idle', modelVersion: options.base.version, upToDate: true, lastTrainedAt: null, lastSeconds: null, error: null }
  }

  /** Reads custom cohorts and corrections, and serves the best classifier for them. */
  async init(): Promise<void> {
    await this.reload()
    const hash = extrasHash(this.extras)
    if (this.isEmpty()) {
      this.trained = { hash, model: this.base }
    } else {
      const weightsDir = path.join(this.modelRoot, hash)
      if (fs.existsSync(path.join(weightsDir, 'model.json'))) {
        try {
          this.trained = { hash, model: loadModelClassifier({ weightsDir: pathToFileURL(`${weightsDir}/`), extras: this.extras }) }
        } catch (error) {
          this.log(`retrained model in ${weightsDir} could not be loaded (${String(error)}): training again`)
        }
      }
    }
    await this.serve()
    if (!this.isUpToDate()) this.scheduleRetrain()
  }

  /** The classifier serving now (the pipeline's), with explanations. */
  get classifier(): ModelClassifier {
    return this.serving
  }

  status(): TrainingStatus {
    return { ...this.trainingStatus, modelVersion: this.pipeline.interestClassifier.version, upToDate: this.isUpToDate() }
  }

  async addCohort(input: NewCohort): Promise<CohortDefinition & { seeds: string[] }> {
    const name = input.name.trim()
    const seeds = [...new Set([...input.terms, ...(input.examples ?? [])].map((s) => s.trim()).filter((s) => s !== ''))]
    const terms = [...new Set(input.terms.map((s) => s.trim()).filter((s) => s !== ''))]
    if (terms.length < MIN_SEEDS || terms.length > MAX_SEEDS) {
      throw new AppError('invalid_input', `terms: give ${MIN_SEEDS} to ${MAX_SEEDS} distinct seed terms, got ${terms.length}`)
    }
    const existing = await this.store.listCohorts()
    if (existing.some((c) => c.name.toLowerCase() === name.toLowerCase())) {
      throw new AppError('conflict', `a cohort named "${name}" already exists: choose another name`)
    }
    const id = cohortIdFor(name, new Set(existing.map((c) => c.id)))
    await this.store.createCustomCohort({ id, name, description: input.description.trim(), terms, seeds, now: Date.now() })
    await this.changed(`custom cohort ${name}`)
    return { id, name, description: input.description.trim(), terms, seeds }
  }

  /** "interest X belongs to these cohorts" (names; [] for no cohort): an override now, training data next. */
  async addCorrection(input: { interest: string; cohorts: string[] }): Promise<CorrectionRow> {
    const textKey = normalizeText(input.interest)
    if (textKey === '') throw new AppError('invalid_input', 'interest: give the interest text to correct, e.g. "blockchain gaming"')
    const known = await this.store.listCohorts()
    const cohortIds = input.cohorts.map((name, i) => {
      const cohort = known.find((c) => c.name.toLowerCase() === name.trim().toLowerCase() || c.id === name.trim())
      if (!cohort) throw new AppError('invalid_input', `cohorts[${i}]: no cohort "${name}"; known: ${known.map((c) => c.name).join(', ')}`)
      return cohort.id
    })
    const row = { text: input.interest.trim(), textKey, cohortIds: [...new Set(cohortIds)], createdAt: Date.now() }
    await this.store.saveCorrection({ ...row, now: row.createdAt })
    await this.changed(`correction "${row.text}"`)
    return row
  }

  /** Waits for pending retraining and backfills: for tests and shutdown. */
  async settle(): Promise<void> {
    for (;;) {
      if (this.timer) {
        clearTimeout(this.timer)
        this.timer = null
        this.startTraining()
      }
      if (this.training) await this.training
      await this.reclassifier.idle()
      if (!this.timer && !this.training) return
    }
  }

  /** Stops scheduling; a running backfill stops after its page, a running training is awaited. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.reclassifier.stop()
    if (this.training) await this.training
  }

  private isEmpty(): boolean {
    return this.extras.cohorts.length === 0 && this.extras.examples.length === 0
  }

  private isUpToDate(): boolean {
    return this.trained?.hash === extrasHash(this.extras)
  }

  private async reload(): Promise<void> {
    const cohorts = await this.store.listCohorts()
    const custom = cohorts.filter((c) => c.seeds !== null)
    this.corrections = await this.store.listCorrections()
    // By normalized text, corrections last: an admin's correction of a seed term wins over the seed.
    const examples = new Map<string, { text: string; cohortIds: string[] }>()
    for (const c of custom) for (const text of c.seeds ?? []) examples.set(normalizeText(text), { text, cohortIds: [c.id] })
    for (const c of this.corrections) examples.set(c.textKey, { text: c.text, cohortIds: c.cohortIds })
    this.extras = {
      cohorts: custom.map((c) => ({ id: c.id, name: c.name, description: c.description, terms: c.terms })),
      examples: [...examples.values()],
    }
  }

  /**
   * The classifier for the current extras: the retrained model when it is up to date; else the
   * newest trained one with the cohorts it lacks matched through their seeds. Corrections always
   * answer as the admin said, whatever the model learned.
   */
  private compose(): ModelClassifier {
    let model = this.trained?.model ?? this.base
    const known = new Set(model.cohorts().map((c) => c.id))
    for (const cohort of this.extras.cohorts) {
      if (known.has(cohort.id)) continue
      const seeds = this.extras.examples.filter((e) => e.cohortIds[0] === cohort.id).map((e) => e.text)
      model = withCustomCohort(model, cohort, seeds)
    }
    if (this.corrections.length === 0) return model
    const names = new Map(this.extras.cohorts.map((c) => [c.id, c.name]))
    for (const c of model.cohorts()) names.set(c.id, c.name)
    return withOverrides(model, new Map(this.corrections.map((c) => [c.textKey, c.cohortIds.map((id) => names.get(id) ?? id)])))
  }

  private async serve(): Promise<void> {
    const next = this.compose()
    await this.pipeline.useClassifier(next)
    this.serving = next
  }

  private async changed(reason: string): Promise<void> {
    await this.reload()
    await this.serve()
    this.reclassifier.start(reason)
    this.scheduleRetrain()
  }

  private scheduleRetrain(): void {
    if (!this.retrainEnabled) return
    if (this.timer) clearTimeout(this.timer)
    this.trainingStatus.state = this.training ? this.trainingStatus.state : 'scheduled'
    this.timer = setTimeout(() => {
      this.timer = null
      // One training at a time; a change during training schedules the next one when it ends.
      if (this.training) {
        void this.training.then(() => this.scheduleRetrain())
        return
      }
      this.startTraining()
    }, RETRAIN_DELAY_MS)
    this.timer.unref()
  }

  private startTraining(): void {
    this.training = this.retrain().finally(() => {
      this.training = null
    })
  }

  private async retrain(): Promise<void> {
    const extras = this.extras
    const hash = extrasHash(extras)
    if (this.trained?.hash === hash) return
    const weightsDir = path.join(this.modelRoot, hash)
    this.trainingStatus.state = 'training'
    const started = Date.now()
    try {
      fs.mkdirSync(this.modelRoot, { recursive: true })
      // Written beside, then renamed: a crash mid-training never leaves a half-written model to load.
      const tmp = `${weightsDir}.tmp-${process.pid}`
      fs.rmSync(tmp, { recursive: true, force: true })
      await retrainInWorker({ extras, outDir: pathToFileURL(`${tmp}/`) })
      fs.rmSync(weightsDir, { recursive: true, force: true })
      fs.renameSync(tmp, weightsDir)
      const model = loadModelClassifier({ weightsDir: pathToFileURL(`${weightsDir}/`), extras })
      this.trained = { hash, model }
      this.trainingStatus = { ...this.trainingStatus, state: 'idle', lastTrainedAt: Date.now(), lastSeconds: (Date.now() - started) / 1000, error: null }
      this.log(`retrained the interest model with ${extras.cohorts.length} custom cohort(s) and ${extras.examples.length} example(s) in ${this.trainingStatus.lastSeconds} s: ${model.version}`)
      await this.serve()
      this.reclassifier.start(`retrained model ${model.version}`)
    } catch (error) {
      this.trainingStatus = { ...this.trainingStatus, state: 'failed', error: error instanceof Error ? error.message : String(error) }
      this.log(`retraining the interest model failed: ${this.trainingStatus.error}`)
    }
  }
}
