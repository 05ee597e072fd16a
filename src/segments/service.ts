// Business segments: definitions (validated, versioned), the incremental engine wired into the
// pipeline, background backfills of new and edited definitions, the scheduler that lets members leave
// when a time window passes, previews, explanations and member listings.
import { randomBytes } from 'node:crypto'
import type { ProfileState } from '../domain/profile.ts'
import { AppError } from '../errors.ts'
import { activeSegment, conditionNeeds, dependencyOrder, SegmentEngine, toSegmentProfile, withRequiredConsent, type ActiveSegment } from './engine.ts'
import { consentPurposeKey, DEFAULT_CONSENT_PURPOSES } from '../domain/consent.ts'
import { explain, type Explanation } from './language/evaluate.ts'
import { type Condition, eventNeeds, parseSegmentDefinition, referencedCohorts, referencedConsent, referencedSegments } from './language/parse.ts'
import type { ChangeNotifier } from '../activation/notifier.ts'
import type { SegmentChange, SegmentMemberRow, SegmentRow } from '../domain/segment.ts'
import type { CohortStore, MembershipTransaction } from '../storage/ports/cohorts.ts'
import type { IdentityTransaction } from '../storage/ports/identity.ts'
import type { TransactionRunner } from '../storage/ports/ingest.ts'
import type { ProfileReader } from '../storage/ports/profiles.ts'
import type { SegmentStore, SegmentTransaction } from '../storage/ports/segments.ts'

export const BACKFILL_PAGE = 2_000
export const SCHEDULE_BATCH = 100
const SCHEDULE_PAGES_PER_RUN = 50
export const PREVIEW_SAMPLE = 20

export interface SegmentInput {
  name: string
  description?: string
  conditions: unknown
  /** Purposes every member must have granted (config consentPurposes names them). */
  requiredConsent?: readonly string[]
}

/**
 * What the service reads and writes: definitions and members, transactions for backfills and time
 * windows, the profile walk, and the cohort names conditions may use.
 */
export type SegmentServiceStore = SegmentStore & TransactionRunner & Pick<ProfileReader, 'countProfiles' | 'listProfileIds'> & Pick<CohortStore, 'listCohorts'>

/** What re-evaluating profiles in a transaction reads besides the segment tables. */
type EvaluationTransaction = SegmentTransaction & Pick<IdentityTransaction, 'loadProfiles'> & Pick<MembershipTransaction, 'loadMemberships'>

export interface SegmentServiceOptions {
  store: SegmentServiceStore
  /** Cohort id -> lower-cased name, as conditions name cohorts: the classifier in use knows it. */
  cohortNameKey: (cohortId: string) => string
  /** Hears which segments gained or lost members, after the transaction that changed them commits. */
  notifier: ChangeNotifier
  /** Run backfills and the time-window scheduler in this process (the server); CLI commands do not. */
  background: boolean
  schedulerIntervalMs?: number
  /** The configured consent purposes: conditions and required_consent may name only these (default DEFAULT_CONSENT_PURPOSES). */
  consentPurposes?: readonly string[]
  log?: (message: string) => void
}

function newSegmentId(): string {
  return `seg_${randomBytes(8).toString('hex')}`
}

/**
 * Owns the segment engine; the wiring (compose.ts) plugs `engine` into the ingest pipeline, so that
 * every ingest transaction keeps the segments current.
 */
export class SegmentService {
  readonly engine = new SegmentEngine()
  private readonly store: SegmentServiceStore
  private readonly cohortNameKey: (cohortId: string) => string
  private readonly notifier: ChangeNotifier
  private readonly background: boolean
  private readonly log: (message: string) => void
  private readonly schedulerIntervalMs: number
  private readonly consentPurposes: readonly string[]
  private backfillQueue: string[] = []
  private backfilling: Promise<void> | null = null
  private schedulerTimer: NodeJS.Timeout | null = null
  private schedulerRun: Promise<void> | null = null
  private closed = false

  constructor(options: SegmentServiceOptions) {
    this.store = options.store
    this.cohortNameKey = options.cohortNameKey
    this.notifier = options.notifier
    this.background = options.background
    this.log = options.log ?? (() => {})
    this.schedulerIntervalMs = options.schedulerIntervalMs ?? 1_000
    this.consentPurposes = options.consentPurposes ?? DEFAULT_CONSENT_PURPOSES
  }

  /** Loads the definitions; in the background process, resumes unfinished backfills and starts the scheduler. */
  async init(): Promise<void> {
    const rows = await this.store.listSegments()
    this.engine.setSegments(rows.map(activeSegment))
    if (!this.background) return
    for (const row of rows) if (row.state === 'backfilling') this.enqueueBackfill(row.id)
    this.schedulerTimer = setInterval(() => {
      if (!this.schedulerRun) this.schedulerRun = this.runDue().then(() => undefined, (error: unknown) => this.log(`segment scheduler: ${String(error)}`)).finally(() => (this.schedulerRun = null))
    }, this.schedulerIntervalMs)
    this.schedulerTimer.unref()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.schedulerTimer) clearInterval(this.schedulerTimer)
    this.backfillQueue = []
    await this.backfilling
    await this.schedulerRun
  }

  /** Waits for queued backfills (tests, the CLI). */
  async idle(): Promise<void> {
    while (this.backfilling) await this.backfilling
  }

  // ----- definitions -----

  /** Validates a definition: the language, the cohorts and segments it names, and dependency loops. */
  async validate(input: SegmentInput, selfId?: string): Promise<{ name: string; description: string; condition: Condition; requiredConsent: string[] }> {
    const name = typeof input.name === 'string' ? input.name.trim() : ''
    if (name === '') throw new AppError('invalid_input', 'name: give the segment a name, e.g. "Women 25–34 in California"')
    const parsed = parseSegmentDefinition(input.conditions)
    if (parsed.kind === 'rejected') {
      throw new AppError('invalid_input', parsed.detail.map((e) => `${e.path}: ${e.message}`).join('; '), { errors: parsed.detail })
    }
    const condition = parsed.value
    const cohorts = new Set((await this.store.listCohorts()).map((c) => c.name.toLowerCase()))
    const unknownCohorts = referencedCohorts(condition).filter((c) => !cohorts.has(c))
    if (unknownCohorts.length > 0) {
      throw new AppError('invalid_input', `conditions: no cohort ${unknownCohorts.map((c) => `"${c}"`).join(', ')}; GET /api/cohorts lists them`)
    }
    const refs = referencedSegments(condition)
    for (const ref of refs) {
      if (ref === selfId) throw new AppError('invalid_input', `conditions: a segment cannot refer to itself (${ref})`)
      if (!this.engine.get(ref)) throw new AppError('invalid_input', `conditions: no segment "${ref}"; refer to segments by id`)
    }
    const unknownPurposes = referencedConsent(condition).filter((p) => !this.consentPurposes.includes(p))
    if (unknownPurposes.length > 0) {
      throw new AppError('invalid_input', `conditions: no consent purpose ${unknownPurposes.map((p) => `"${p}"`).join(', ')}; the configured purposes are ${this.consentPurposes.join(', ')} (CDP_CONSENT_PURPOSES)`)
    }
    const requiredConsent = this.readRequiredConsent(input.requiredConsent)
    return { name, description: (input.description ?? '').trim(), condition: withRequiredConsent(condition, requiredConsent), requiredConsent }
  }

  /** required_consent as stored: configured purposes by their keys, each once, in the order given. */
  private readRequiredConsent(names: readonly string[] | undefined): string[] {
    const purposes = [...new Set((names ?? []).map(consentPurposeKey))]
    const unknown = purposes.filter((p) => !this.consentPurposes.includes(p))
    if (unknown.length > 0) {
      throw new AppError('invalid_input', `required_consent: no consent purpose ${unknown.map((p) => `"${p}"`).join(', ')}; the configured purposes are ${this.consentPurposes.join(', ')} (CDP_CONSENT_PURPOSES)`)
    }
    return purposes
  }

  async create(input: SegmentInput): Promise<SegmentRow> {
    const valid = await this.validate(input)
    const id = newSegmentId()
    await this.store.createSegment({ id, name: valid.name, description: valid.description, definition: input.conditions, requiredConsent: valid.requiredConsent, now: Date.now() })
    await this.reload()
    this.enqueueBackfill(id)
    return (await this.store.getSegment(id)) as SegmentRow
  }

  async update(id: string, input: SegmentInput): Promise<SegmentRow> {
    const existing = await this.require(id)
    const valid = await this.validate(input, existing.id)
    // A loop through other segments shows only with the edited condition in place.
    dependencyOrder([...this.engine.segments().filter((s) => s.id !== existing.id), activeSegment({ ...existing, definition: input.conditions, requiredConsent: valid.requiredConsent })])
    await this.store.updateSegment({ id: existing.id, name: valid.name, description: valid.description, definition: input.conditions, requiredConsent: valid.requiredConsent, now: Date.now() })
    await this.reload()
    this.enqueueBackfill(existing.id)
    return (await this.store.getSegment(existing.id)) as SegmentRow
  }

  async remove(id: string): Promise<void> {
    const existing = await this.require(id)
    const dependents = this.engine.segments().filter((s) => s.dependsOn.includes(existing.id))
    if (dependents.length > 0) {
      throw new AppError('conflict', `segment ${existing.id} is used by ${dependents.map((d) => `${d.name} (${d.id})`).join(', ')}: change those first`)
    }
    await this.store.deleteSegment(existing.id)
    await this.reload()
  }

  async require(idOrName: string): Promise<SegmentRow> {
    const row = await this.store.getSegment(idOrName)
    if (!row) throw new AppError('not_found', `no segment "${idOrName}": GET /api/segments lists them`)
    return row
  }

  private async reload(): Promise<void> {
    this.engine.setSegments((await this.store.listSegments()).map(activeSegment))
  }

  // ----- reading -----

  async preview(conditions: unknown, requiredConsent?: readonly string[]): Promise<{ count: number; sample: SegmentMemberRow[]; tookMs: number }> {
    const started = performance.now()
    const { condition } = await this.validate({ name: 'preview', conditions, requiredConsent })
    // Saved now, the segment's backfill would enter each match at this moment: the sample shows that
    // time, the one the same definition's members would carry.
    const now = Date.now()
    const result = await this.store.previewSegment({ condition, sample: PREVIEW_SAMPLE, now })
    return { ...result, tookMs: Math.round(performance.now() - started) }
  }

  /** For GET /api/user?explain=1: each segment, whether the profile is in it, and which conditions held. */
  async explainProfile(profile: ProfileState, cohorts: ReadonlyMap<string, number>): Promise<Array<{ segment: ActiveSegment; member: boolean; enteredAt: number | null; explanation: Explanation }>> {
    const memberships = await this.store.listProfileSegments(profile.id)
    const now = Date.now()
    const needed = eventNeeds(this.engine.segments().map((s) => s.condition))
    const events = needed.size > 0 ? await this.store.loadSegmentEvents({ profileIds: [profile.id], events: needed, now }) : new Map()
    const view = toSegmentProfile(profile, { cohorts, segments: new Set(memberships.keys()), events: events.get(profile.id) })
    return this.engine.segments().map((segment) => ({
      segment,
      member: memberships.has(segment.id),
      enteredAt: memberships.get(segment.id) ?? null,
      explanation: explain(segment.condition, view, { now }),
    }))
  }

  // ----- backfill -----

  private enqueueBackfill(id: string): void {
    if (!this.background) return
    if (!this.backfillQueue.includes(id)) this.backfillQueue.push(id)
    if (!this.backfilling) {
      this.backfilling = this.drainBackfills().finally(() => (this.backfilling = null))
    }
  }

  private async drainBackfills(): Promise<void> {
    while (this.backfillQueue.length > 0 && !this.closed) {
      const id = this.backfillQueue.shift() as string
      try {
        await this.backfill(id)
      } catch (error) {
        this.log(`backfill of segment ${id} failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }

  /**
   * Evaluates one segment over every profile, page by page, each page its own transaction so that
   * ingestion goes on. Conditions without relative dates run as one SQL query per page; those with
   * them are evaluated in memory, which also schedules when each profile's verdict next changes.
   */
  async backfill(id: string, onProgress?: (processed: number, total: number) => void): Promise<{ processed: number; changed: number; skipped: number }> {
    const row = await this.store.getSegment(id)
    if (!row) return { processed: 0, changed: 0, skipped: 0 }
    const segment = activeSegment(row)
    const total = await this.store.countProfiles()
    const dependents = this.engine.withDependents(segment.id)
    dependents.delete(segment.id)
    const reason = `backfill of version ${segment.version}`
    let after: string | undefined
    let processed = 0
    let changed = 0
    let skipped = 0
    // After a page failed on a stored value the database cannot read, this many profiles go one by
    // one, so that only the unreadable ones are skipped.
    let oneByOne = 0
    await this.store.setBackfillProgress({ id, version: segment.version, processed, total, done: false })
    const runPage = (limit: number) =>
      this.store.ingestTransaction(async (tx) => {
        // A time-relative condition is evaluated here, at each profile's own time; the rest in SQL.
        const condition = segment.timeRelative ? null : segment.condition
        const result = await tx.segmentPage({ segmentId: id, afterId: after, limit, condition, now: Date.now() })
        if (result.ids.length === 0) return { ids: result.ids, segments: new Set<string>(), changes: 0 }
        if (result.matching) {
          const changes: SegmentChange[] = []
          for (const profileId of result.matching) if (!result.members.has(profileId)) changes.push({ segmentId: id, profileId, change: 'entered', reason })
          for (const profileId of result.members) if (!result.matching.has(profileId)) changes.push({ segmentId: id, profileId, change: 'left', reason })
          await tx.applySegmentChanges({ changes, schedule: [], now: Date.now() })
          const touched = new Set(changes.map((c) => c.profileId))
          const segments = new Set(changes.map((c) => c.segmentId))
          if (dependents.size > 0 && touched.size > 0) {
            for (const s of await this.evaluateProfiles(tx, { profileIds: [...touched], only: dependents, reason, now: Date.now() })) segments.add(s)
          }
          return { ids: result.ids, segments, changes: changes.length }
        }
        // Relative time: evaluated in memory, which also schedules when each verdict next changes.
        const only = new Set([id, ...dependents])
        const evaluated = this.engine.segments().filter((s) => only.has(s.id))
        const needs = conditionNeeds(evaluated.map((s) => s.condition))
        const now = Date.now()
        const { views, scheduled } = await tx.loadSegmentViews({ afterId: after, lastId: result.ids[result.ids.length - 1] as string, needs, now })
        const segments = await this.engine.evaluateViews(tx, { views, scheduled, segments: evaluated, reason, now })
        return { ids: result.ids, segments, changes: segments.size }
      })
    for (;;) {
      if (this.closed) return { processed, changed, skipped }
      // Another edit made this walk stale: the newer version's backfill is queued.
      if (this.engine.get(id)?.version !== segment.version) return { processed, changed, skipped }
      let page: Awaited<ReturnType<typeof runPage>>
      try {
        page = await runPage(oneByOne > 0 ? 1 : BACKFILL_PAGE)
        if (oneByOne > 0) oneByOne--
      } catch (error) {
        // A row the database cannot read (a trait past SQLite's JSON depth, stored before inputs were
        // bounded) must not stop the walk for good: it is logged, counted and left as it was.
        if (!this.store.isUnreadableValue(error)) throw error
        if (oneByOne === 0) {
          oneByOne = BACKFILL_PAGE
          continue
        }
        const [unreadable] = await this.store.listProfileIds({ afterId: after, limit: 1 })
        if (unreadable === undefined) throw error
        this.log(`backfill of segment ${id}: skipped profile ${unreadable}, whose stored data the database cannot read: ${error instanceof Error ? error.message : String(error)}`)
        skipped++
        processed++
        oneByOne--
        after = unreadable
        continue
      }
      if (page.ids.length === 0) break
      this.notifier.notify(page.segments)
      processed += page.ids.length
      changed += page.changes
      after = page.ids[page.ids.length - 1]
      await this.store.setBackfillProgress({ id, version: segment.version, processed, total: Math.max(total, processed), done: false })
      onProgress?.(processed, Math.max(total, processed))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await this.store.setBackfillProgress({ id, version: segment.version, processed, total: Math.max(total, processed), done: true })
    if (skipped > 0) this.log(`backfill of segment ${id}: done, ${skipped} profile(s) skipped as unreadable (see above)`)
    return { processed, changed, skipped }
  }

  /** Loads profiles and their cohorts in the transaction and evaluates `only` for them at `now`. */
  private async evaluateProfiles(
    tx: EvaluationTransaction,
    { profileIds, only, reason, now }: { profileIds: string[]; only: ReadonlySet<string>; reason: string; now: number },
  ): Promise<Set<string>> {
    const profiles = await tx.loadProfiles(profileIds)
    const memberships = await tx.loadMemberships([...profiles.keys()])
    const cohorts = new Map<string, Map<string, number>>()
    for (const [profileId, list] of memberships) cohorts.set(profileId, new Map(list.map((m) => [this.cohortNameKey(m.cohortId), m.score])))
    const missing = profileIds.filter((pid) => !profiles.has(pid))
    if (missing.length > 0) {
      // Merged away since: nothing to evaluate, and nothing left to schedule.
      await tx.applySegmentChanges({ changes: [], schedule: missing.flatMap((profileId) => [...only].map((segmentId) => ({ segmentId, profileId, dueAt: null }))), now })
    }
    return this.engine.evaluate(tx, { profiles: profiles.values(), cohorts, only, reason, now })
  }

  // ----- time windows -----

  /**
   * Re-evaluates the (segment, profile) pairs whose time window has passed, at `now` (tests pass a
   * later clock). Returns how many were due.
   */
  async runDue(now = Date.now()): Promise<number> {
    let total = 0
    // Small transactions, with the event loop free between them: real-time ingest waits for the
    // writer at most one page (better-sqlite3 blocks while a transaction runs). A bounded number of
    // pages per run: the next tick takes the rest.
    for (let page = 0; page < SCHEDULE_PAGES_PER_RUN; page++) {
      if (this.closed) return total
      const due = await this.store.listDueSchedule({ now, limit: SCHEDULE_BATCH })
      if (due.length === 0) return total
      const bySegment = new Map<string, string[]>()
      for (const d of due) bySegment.set(d.segmentId, [...(bySegment.get(d.segmentId) ?? []), d.profileId])
      const changed = await this.store.ingestTransaction(async (tx) => {
        const out = new Set<string>()
        for (const [segmentId, profileIds] of bySegment) {
          if (!this.engine.get(segmentId)) {
            await tx.applySegmentChanges({ changes: [], schedule: profileIds.map((profileId) => ({ segmentId, profileId, dueAt: null })), now })
            continue
          }
          for (const s of await this.evaluateProfiles(tx, { profileIds, only: this.engine.withDependents(segmentId), reason: 'time window passed', now })) out.add(s)
        }
        return out
      })
      this.notifier.notify(changed)
      total += due.length
      if (due.length < SCHEDULE_BATCH) return total
      await new Promise((resolve) => setImmediate(resolve))
    }
    return total
  }
}
