// Rebuilding people from the raw store, and joining two people by hand: the identity operations an
// admin runs (privacy/identity-service.ts), over the same stages as ingest, in one transaction.
// The raw store holds every observation, so a person can be folded again as if a wrong link had
// never been made: the caller deletes what was derived, and the records run through identity,
// events, cohorts and segments once more. Memberships are kept until then, so cohorts and segments
// diff old against new: a person who stays in a segment neither leaves nor enters it.
import type { ProfileState } from '../domain/profile.ts'
import type { StoredRawRecord } from '../domain/raw-record.ts'
import type { Outcome } from '../domain/outcome.ts'
import type { IngestTransaction, TransactionRunner } from '../storage/ports/ingest.ts'
import type { PeopleEvidence } from '../storage/ports/identity.ts'
import type { ActiveClassifier, Classified } from './classify/stage.ts'
import { mergeProfiles } from './identity/merge.ts'
import type { BatchObservation } from './identity/resolve-batch.ts'
import type { RebuildIds } from './identity/rebuild-ids.ts'
import { assignAnonymous, isSharedDeviceObservation } from './identity/timeline.ts'
import { SHARED_DEVICE_PREFIX } from '../domain/identity.ts'
import type { StoredRecord } from './prepare/stored-record.ts'
import type { MessagePart } from './records.ts'
import { validateRecord, type ValidateOptions } from './validate/index.ts'

export interface IdentityOperations {
  /**
   * Runs these accepted raw rows through identity, events, cohorts and segments again, the people
   * they make keeping their previous ids (identity/rebuild-ids.ts). Returns the profile ids made.
   */
  rebuildPeople(rows: readonly StoredRawRecord[], input: RebuildIds & { reason: string }): Promise<Set<string>>
  /** The rows of `evidence` that belong to these people (recordsOfPeople, with the guardrails in use). */
  recordsOfPeople(evidence: PeopleEvidence): StoredRawRecord[]
  /** Joins `absorbedId` into `survivorId` (as rule 3b does; the caller logs why) and re-evaluates the survivor. */
  mergePeople(input: { survivorId: string; absorbedId: string; reason: string }): Promise<ProfileState>
}

/**
 * The rows of `evidence` that belong to these people: those with one of their emails, the anonymous
 * rows the login timeline gives to one of their emails (or, for a cookie that never logged in, to
 * the cookie's own person), and the rows behind their events. A row whose event is someone else's
 * is never taken: applying it again would duplicate that event.
 */
export function recordsOfPeople(evidence: PeopleEvidence, sharedDeviceEmails = Number.POSITIVE_INFINITY): StoredRawRecord[] {
  return evidence.records.filter((row) => {
    if (evidence.foreign.has(row.id)) return false
    if (evidence.own.has(row.id)) return true
    if (row.email !== null) return evidence.emails.has(row.email)
    if (row.cookie === null || row.observedAt === null) return false
    const logins = evidence.logins.get(row.cookie) ?? []
    // A shared device's anonymous rows are its own profile's (resolve-batch.ts rule 6).
    if (isSharedDeviceObservation(logins, row.observedAt, sharedDeviceEmails)) return evidence.cookies.has(SHARED_DEVICE_PREFIX + row.cookie)
    const owner = assignAnonymous(logins, row.observedAt)
    return owner === null ? evidence.cookies.has(row.cookie) : evidence.emails.has(owner)
  })
}

export function createRebuild(deps: {
  store: TransactionRunner
  readStoredRecord: (row: StoredRawRecord) => Outcome<StoredRecord, unknown>
  validate: Omit<ValidateOptions, 'receivedAt' | 'onInvalid'>
  /** The stages after the raw store (run.ts), in rebuild mode. */
  apply: (tx: IngestTransaction, items: BatchObservation[], messages: ReadonlyMap<number, MessagePart>, now: number, reason: string, rebuild: RebuildIds) => Promise<{ resolvedTo: ReadonlyMap<number, string>; segments: Set<string> }>
  classify: (tx: IngestTransaction, input: { active: ActiveClassifier; profiles: Iterable<ProfileState>; absorbedIds?: readonly string[]; now: number }) => Promise<Classified>
  evaluateSegments: (tx: IngestTransaction, input: { profiles: Iterable<ProfileState>; cohortScores: ReadonlyMap<string, ReadonlyMap<string, number>>; absorbed?: ReadonlyArray<{ id: string; into: string }>; reason: string; now: number }) => Promise<Set<string>>
  active: () => ActiveClassifier
  sharedDeviceEmails?: number
  notifySegments: (changed: Set<string>) => void
}) {
  /** Runs `work` in one ingest transaction with the identity operations bound to it. */
  return async function identityTransaction<T>(work: (tx: IngestTransaction, ops: IdentityOperations) => Promise<T>): Promise<T> {
    const changed = new Set<string>()
    const result = await deps.store.ingestTransaction(async (tx) => {
      changed.clear()
      const now = Date.now()
      const active = deps.active()
      const ops: IdentityOperations = {
        recordsOfPeople: (evidence) => recordsOfPeople(evidence, deps.sharedDeviceEmails),

        async rebuildPeople(rows, { preferred, previousIds, reason }) {
          const items: BatchObservation[] = []
          const messages = new Map<number, MessagePart>()
          for (const row of rows) {
            const stored = deps.readStoredRecord(row)
            if (stored.kind === 'rejected') throw new Error(`raw record ${row.id} was accepted but ${stored.reason}`, { cause: stored.detail })
            // Read exactly as when it was accepted (see createReadAcceptedObservation).
            const result = validateRecord(stored.value.record, { ...deps.validate, receivedAt: row.receivedAt, onInvalid: 'drop_field' })
            if (result.kind !== 'ok') continue
            const o = result.value.observation
            items.push({ observation: o, rawId: row.id, source: row.source })
            if (stored.value.message) messages.set(row.id, { ...stored.value.message, at: o.observedAt, receivedAt: row.receivedAt })
          }
          const applied = await deps.apply(tx, items, messages, now, reason, { preferred, previousIds })
          for (const id of applied.segments) changed.add(id)
          return new Set(applied.resolvedTo.values())
        },

        async mergePeople({ survivorId, absorbedId, reason }) {
          const loaded = await tx.loadProfiles([survivorId, absorbedId])
          const survivor = loaded.get(survivorId)
          const other = loaded.get(absorbedId)
          if (!survivor || !other) throw new Error(`merge: profile ${survivor ? absorbedId : survivorId} does not exist`)
          const merged = mergeProfiles(survivor, other)
          const absorbed = [{ id: absorbedId, into: survivorId }]
          await tx.saveResolution({
            profiles: new Map([[survivorId, merged]]),
            loaded,
            absorbed,
            identities: [{ kind: 'profile', value: absorbedId, profileId: survivorId, firstSeen: now, lastSeen: now }],
            logins: [],
            merges: [],
            now,
          })
          const classified = await deps.classify(tx, { active, profiles: [merged], absorbedIds: [absorbedId], now })
          for (const id of await deps.evaluateSegments(tx, { profiles: [merged], cohortScores: classified.cohortScores, absorbed, reason, now })) changed.add(id)
          return merged
        },
      }
      return await work(tx, ops)
    })
    // After commit: listeners read what was written.
    deps.notifySegments(changed)
    return result
  }
}
