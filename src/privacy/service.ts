// Privacy operations (issue #12): erasure jobs with their audit log, the suppression list, the
// access export and retention. Wired in compose.ts; the routes are api/routes/privacy.ts.
import { randomBytes } from 'node:crypto'
import type { ChangeNotifier } from '../activation/notifier.ts'
import { AppError } from '../errors.ts'
import type { IngestPipeline } from '../pipeline/run.ts'
import type { PreparedRecord } from '../pipeline/records.ts'
import type { ErasureTarget, PersonIdentifier, PrivacyJobRow, PrivacyStore } from '../storage/ports/privacy.ts'
import { exportDocument } from './export.ts'
import { type BareKeys, footprintIds, payloadNames, personKeys, USER_ID_COOKIE_PREFIX, type PersonKeys } from './footprint.ts'
import { describeIdentifierProblem, identifiersHash, normalizeIdentifier, suppressionHash } from './identifiers.ts'

export const MAX_ERASURE_IDENTIFIERS = 5_000
// A person's events go in transactions of this many rows, so ingest interleaves with a long erasure.
const EVENT_CHUNK = 2_000
const RAW_CHUNK = 2_000
const RETENTION_BATCH = 1_000
const RETENTION_PAUSE_MS = 20
const RETENTION_INTERVAL_MS = 60 * 60 * 1000
const RETENTION_FIRST_MS = 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

export interface PrivacyServiceOptions {
  config: { readonly retention: { readonly rawDays: number | undefined; readonly eventsDays: number | undefined } }
  store: PrivacyStore
  pipeline: IngestPipeline
  notifier: ChangeNotifier
  /** Resume interrupted erasures and run retention purges on a timer (the server does; one-off commands do not). */
  background: boolean
  log?: (message: string) => void
  now?: () => number
}

export interface ErasureRequest {
  identifiers: readonly PersonIdentifier[]
  /**
   * Values whose raw records are erased (raw_value): any raw record whose cookie or email column is
   * exactly the value, or whose payload holds it as a whole JSON string. For malformed values that
   * name no person (an email ingest refused); nothing derived is touched.
   */
  rawValues?: readonly string[]
  suppress?: boolean
  /** The API key id, or "cli". */
  requestedBy: string | null
}

export interface RetentionResult {
  rawRecords: number
  events: number
  /** Likely matches' IP address and user agent sightings, kept as long as events. */
  deviceSightings: number
}

export class PrivacyService {
  private salt = ''
  private suppressed = new Set<string>()
  /** Jobs wait here and run one at a time. */
  private queue: Promise<void> = Promise.resolve()
  private readonly running = new Map<string, Promise<void>>()
  private retentionTimer: NodeJS.Timeout | null = null
  private retentionStart: NodeJS.Timeout | null = null
  private retentionRun: Promise<unknown> | null = null
  private closed = false

  constructor(readonly options: PrivacyServiceOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  async init(): Promise<void> {
    const { store } = this.options
    this.salt = await store.salt(() => randomBytes(32).toString('hex'))
    this.suppressed = new Set(await store.suppressionHashes())
    this.installSuppression()
    if (!this.options.background) return
    for (const id of await store.runningJobIds()) this.schedule(id)
    const { rawDays, eventsDays } = this.options.config.retention
    if (rawDays !== undefined || eventsDays !== undefined) {
      const tick = () => {
        if (this.retentionRun || this.closed) return
        this.retentionRun = this.purgeRetention({ pauseMs: RETENTION_PAUSE_MS })
          .catch((error: unknown) => this.options.log?.(`retention purge failed: ${String(error)}`))
          .finally(() => (this.retentionRun = null))
      }
      // A first pass soon after start (not during it), then hourly.
      this.retentionStart = setTimeout(tick, RETENTION_FIRST_MS)
      this.retentionStart.unref()
      this.retentionTimer = setInterval(tick, RETENTION_INTERVAL_MS)
      this.retentionTimer.unref()
    }
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.retentionTimer) clearInterval(this.retentionTimer)
    if (this.retentionStart) clearTimeout(this.retentionStart)
    await this.retentionRun
    // A job in flight finishes its current step; an unfinished one resumes at the next start.
    await this.queue
  }

  // ---- erasure ----

  /** Records the job (with its pending identifiers) and starts it in the background; returns it running. */
  async requestErasure(request: ErasureRequest): Promise<PrivacyJobRow> {
    const rawValues = request.rawValues ?? []
    const count = request.identifiers.length + rawValues.length
    if (count === 0) throw new AppError('invalid_input', 'identifiers: name at least one person, e.g. [{"email": "jane@example.com"}]')
    if (count > MAX_ERASURE_IDENTIFIERS) {
      throw new AppError('invalid_input', `identifiers: at most ${MAX_ERASURE_IDENTIFIERS} per request (got ${count}); split the list into several requests`)
    }
    // Every bad one at once (the first few), so a list is fixed in one go; a single one without its index.
    const problems = request.identifiers.flatMap((identifier, i) => {
      const problem = describeIdentifierProblem(identifier)
      if (problem === null) return []
      return [request.identifiers.length === 1 ? problem : `identifiers[${i}].${problem}`]
    })
    if (rawValues.some((v) => v === '')) problems.push('raw_value: must not be empty')
    if (rawValues.length > 0 && request.suppress === true) problems.push('suppress: a raw_value names no person, so there is nothing to suppress; erase it without suppress')
    if (problems.length > 0) {
      const more = problems.length > 5 ? `; and ${problems.length - 5} more` : ''
      throw new AppError('invalid_input', `${problems.slice(0, 5).join('; ')}${more}`)
    }
    const identifiers: ErasureTarget[] = [...request.identifiers.map(normalizeIdentifier), ...rawValues.map((value) => ({ kind: 'raw_value' as const, value }))]
    const job: PrivacyJobRow = {
      id: `era_${randomBytes(9).toString('base64url')}`,
      status: 'running',
      requestedBy: request.requestedBy,
      requestedAt: this.now(),
      identifiersHash: identifiersHash(this.salt, identifiers),
      identifierCount: new Set(identifiers.map((i) => `${i.kind}:${i.value}`)).size,
      suppress: request.suppress === true,
      counts: {},
      error: null,
      finishedAt: null,
    }
    await this.options.store.createJob(job, identifiers)
    this.schedule(job.id)
    return job
  }

  /** Erases and waits for the job to finish. */
  async erase(request: ErasureRequest): Promise<PrivacyJobRow> {
    const job = await this.requestErasure(request)
    await this.running.get(job.id)
    return (await this.options.store.findJob(job.id)) as PrivacyJobRow
  }

  async job(id: string): Promise<PrivacyJobRow> {
    const job = await this.options.store.findJob(id)
    if (!job) throw new AppError('not_found', `no erasure job "${id}"`)
    return job
  }

  async jobs(limit: number): Promise<PrivacyJobRow[]> {
    return await this.options.store.listJobs(limit)
  }

  /** Waits for a job this process runs (tests, the CLI). */
  async settled(id: string): Promise<void> {
    await this.running.get(id)
  }

  private schedule(jobId: string): void {
    const run = this.queue.then(() => this.runJob(jobId))
    this.running.set(jobId, run)
    this.queue = run.finally(() => this.running.delete(jobId))
  }

  private async runJob(jobId: string): Promise<void> {
    const { store } = this.options
    const job = await store.findJob(jobId)
    if (!job || job.status !== 'running') return
    const counts = { ...job.counts }
    try {
      const pending = await store.pendingIdentifiers(jobId)
      const people = await this.people(pending.filter((i): i is PersonIdentifier => i.kind !== 'raw_value'))
      for (const person of people) {
        if (this.closed) return // resumed at the next start: the identifiers are still pending
        await this.erasePerson(person, { counts, suppressFor: job.suppress ? jobId : null })
        await store.updateJob({ id: jobId, status: 'running', counts, error: null, finishedAt: null })
      }
      for (const target of pending) {
        if (target.kind !== 'raw_value') continue
        if (this.closed) return
        const n = await this.eraseRawValue(target.value)
        if (n > 0) counts.raw_records = (counts.raw_records ?? 0) + n
        await store.updateJob({ id: jobId, status: 'running', counts, error: null, finishedAt: null })
      }
      await store.updateJob({ id: jobId, status: 'finished', counts, error: null, finishedAt: this.now() })
    } catch (error) {
      this.options.log?.(`erasure ${jobId} failed: ${String(error)}`)
      // The message only: an identifier never goes into the audit row.
      await store.updateJob({ id: jobId, status: 'failed', counts, error: 'the erasure failed; see the server log and request it again', finishedAt: this.now() })
    }
    // The rows are gone; their bytes may still sit in the WAL, in dead tuples or in statistics
    // samples. Scrubbing them is best effort: the job's outcome stands, and a failure is logged.
    try {
      await store.scrubErased(Object.keys(counts))
    } catch (error) {
      this.options.log?.(`erasure ${jobId}: removing the erased rows' bytes from storage failed (the rows are deleted; the next checkpoint or VACUUM removes them): ${String(error)}`)
    }
  }

  /** Identifiers grouped by the profile they name; those no profile holds form one bare person each. */
  private async people(identifiers: readonly PersonIdentifier[]): Promise<Array<{ profileId: string | null; bare: BareKeys }>> {
    const byProfile = new Map<string, BareKeys>()
    const bare: Array<{ profileId: null; bare: BareKeys }> = []
    for (const i of identifiers) {
      const profileId = await this.options.store.resolveProfile(i)
      const empty = (): BareKeys => ({ emails: [], cookies: [], userIds: [] })
      const keys = profileId ? (byProfile.get(profileId) ?? empty()) : empty()
      if (i.kind === 'email') keys.emails.push(i.value)
      else if (i.kind === 'cookie') keys.cookies.push(i.value)
      else if (i.kind === 'user_id') keys.userIds.push(i.value)
      if (profileId) byProfile.set(profileId, keys)
      else if (i.kind !== 'profile_id') bare.push({ profileId: null, bare: keys })
    }
    return [...[...byProfile].map(([profileId, keys]) => ({ profileId, bare: keys })), ...bare]
  }

  /**
   * Suppression first (when asked), so data arriving during the erasure is refused already; then
   * events and their raw rows in chunks (each its own transaction, so ingest interleaves), the rest of
   * the footprint in chunks, and one final transaction that locks the identifiers and deletes
   * everything left, rows written meanwhile included.
   */
  private async erasePerson(person: { profileId: string | null; bare: BareKeys }, options: { counts: Record<string, number>; suppressFor: string | null }): Promise<void> {
    const { store, notifier } = this.options
    const tally = (table: string, n: number) => {
      if (n > 0) options.counts[table] = (options.counts[table] ?? 0) + n
    }
    const rows = await store.loadPersonRows({ profileId: person.profileId, ...person.bare })
    const keys = personKeys(rows, person.bare)
    if (options.suppressFor !== null) await this.addSuppressions(suppressibleOf(keys), options.suppressFor)
    const events = person.profileId ? await store.personEvents(person.profileId) : []
    for (let i = 0; i < events.length; i += EVENT_CHUNK) {
      const chunk = await store.deleteEvents(events.slice(i, i + EVENT_CHUNK))
      tally('events', chunk.events)
      tally('raw_records', chunk.rawRecords)
    }
    const deleted = new Set(events.map((e) => e.rawId))
    tally('raw_records', await store.deleteRawRecords(footprintIds(rows, keys).filter((id) => !deleted.has(id)), RAW_CHUNK))
    const result = await store.erasePerson(
      {
        profileId: person.profileId,
        profileIds: keys.profileIds,
        emails: keys.emails,
        cookies: keys.cookies,
        ownCookies: keys.ownCookies,
        userIds: keys.userIds,
        lockKeys: [...keys.cookies.map((c) => `cookie:${c}`), ...keys.emails.map((e) => `email:${e}`)].sort(),
        footprint: (inside) => footprintIds(inside, personKeys(inside, keys)),
      },
      this.now(),
    )
    for (const [table, n] of Object.entries(result.counts)) tally(table, n)
    // After commit: streams and webhooks read the "left" entries.
    if (result.segmentIds.length > 0) notifier.notify(result.segmentIds)
  }

  /** raw_value: the raw records carrying this exact value (column, or a whole JSON string in the payload). */
  private async eraseRawValue(value: string): Promise<number> {
    const exact = new Set([value])
    const none = new Set<string>()
    const ids = (await this.options.store.rawRecordsCarrying(value))
      .filter((r) => r.cookie === value || r.email === value || (r.payload !== undefined && payloadNames(r.payload, none, exact)))
      .map((r) => r.id)
    return await this.options.store.deleteRawRecords(ids, RAW_CHUNK)
  }

  // ---- suppression ----

  async suppress(identifiers: readonly PersonIdentifier[]): Promise<{ added: number; total: number }> {
    const added = await this.addSuppressions(suppressibleOf(bareKeys(identifiers)), null)
    return { added, total: this.suppressed.size }
  }

  async unsuppress(identifiers: readonly PersonIdentifier[]): Promise<{ removed: number; total: number }> {
    const hashes = suppressibleOf(bareKeys(identifiers)).map((s) => suppressionHash(this.salt, s.kind, s.value))
    const removed = await this.options.store.removeSuppressions(hashes)
    for (const h of hashes) this.suppressed.delete(h)
    this.installSuppression()
    return { removed, total: this.suppressed.size }
  }

  suppressionCount(): number {
    return this.suppressed.size
  }

  private async addSuppressions(entries: ReadonlyArray<{ kind: 'email' | 'cookie' | 'user_id'; value: string }>, jobId: string | null): Promise<number> {
    const rows = entries.map((e) => ({ kind: e.kind, hash: suppressionHash(this.salt, e.kind, e.value) }))
    const added = await this.options.store.addSuppressions(rows, jobId, this.now())
    for (const r of rows) this.suppressed.add(r.hash)
    this.installSuppression()
    return added
  }

  /** The pipeline's check costs nothing while the list is empty, and one HMAC per identifier otherwise. */
  private installSuppression(): void {
    if (this.suppressed.size === 0) {
      this.options.pipeline.useSuppression(null)
      return
    }
    const hashes = this.suppressed
    const salt = this.salt
    const has = (kind: 'email' | 'cookie' | 'user_id', value: string | null | undefined) => typeof value === 'string' && value !== '' && hashes.has(suppressionHash(salt, kind, value))
    this.options.pipeline.useSuppression(function isSuppressed(record: PreparedRecord): boolean {
      // The raw row's cookie is the anonymousId of a message, or "uid:<userId>" when it has none.
      const { cookie, email } = record.raw
      if (cookie !== null && cookie.startsWith(USER_ID_COOKIE_PREFIX)) {
        if (has('user_id', cookie.slice(USER_ID_COOKIE_PREFIX.length))) return true
      } else if (has('cookie', cookie) || has('user_id', record.message?.userId)) return true
      return has('email', email)
    })
  }

  // ---- access export ----

  /** The person's document as JSON text, piece by piece (events and raw records a page at a time). */
  async exportPerson(identifier: PersonIdentifier): Promise<AsyncGenerator<string>> {
    const normalized = normalizeIdentifier(identifier)
    const { store } = this.options
    const profileId = await store.resolveProfile(normalized)
    if (!profileId) throw new AppError('not_found', `no user with ${normalized.kind} "${identifier.value}"`)
    const rows = await store.loadPersonRows({ profileId, emails: [], cookies: [], userIds: [] })
    const keys = personKeys(rows)
    return exportDocument({ store, profileId, rows, keys, rawIds: footprintIds(rows, keys), now: this.now() })
  }

  // ---- retention ----

  /** One purge pass over both tables, batch by batch; the timer runs it with a pause between batches. */
  async purgeRetention(options: { pauseMs?: number } = {}): Promise<RetentionResult> {
    const { rawDays, eventsDays } = this.options.config.retention
    const now = this.now()
    const result: RetentionResult = { rawRecords: 0, events: 0, deviceSightings: 0 }
    const pass = async (table: 'raw_records' | 'events', days: number | undefined): Promise<number> => {
      if (days === undefined) return 0
      let deleted = 0
      let afterId = 0
      for (;;) {
        const step = await this.options.store.purgeOlder(table, now - days * DAY_MS, RETENTION_BATCH, afterId)
        deleted += step.deleted
        afterId = step.lastId
        if (!step.more || this.closed) return deleted
        if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
      }
    }
    // Events first: an event whose raw row is purged keeps its raw_id (the row is gone), never the reverse.
    result.events = await pass('events', eventsDays)
    result.rawRecords = await pass('raw_records', rawDays)
    // A sighting is behaviour (where and on what a cookie was seen): it goes with the events' days.
    if (eventsDays !== undefined) result.deviceSightings = await this.options.store.purgeSightingsOlder(now - eventsDays * DAY_MS)
    return result
  }
}

function bareKeys(identifiers: readonly PersonIdentifier[]): PersonKeys {
  const keys: PersonKeys = { profileIds: [], emails: [], cookies: [], ownCookies: [], userIds: [] }
  for (const raw of identifiers) {
    const i = normalizeIdentifier(raw)
    if (i.kind === 'profile_id') throw new AppError('invalid_input', 'identifiers: a profile_id cannot be suppressed (no later data carries it); name its email, cookie or user_id')
    if (i.value === '') throw new AppError('invalid_input', `identifiers: a ${i.kind} must not be empty`)
    if (i.kind === 'email') keys.emails.push(i.value)
    else if (i.kind === 'cookie') keys.ownCookies.push(i.value)
    else keys.userIds.push(i.value)
  }
  return keys
}

/** The identifiers later data can carry: emails, cookies (not the derived "uid:" keys) and user ids. */
function suppressibleOf(keys: PersonKeys): Array<{ kind: 'email' | 'cookie' | 'user_id'; value: string }> {
  return [
    ...keys.emails.map((value) => ({ kind: 'email' as const, value })),
    ...keys.ownCookies.filter((c) => !c.startsWith(USER_ID_COOKIE_PREFIX)).map((value) => ({ kind: 'cookie' as const, value })),
    ...keys.userIds.map((value) => ({ kind: 'user_id' as const, value })),
  ]
}
