// Linked identifiers: user_id, phone, device_id and declared kinds are not keys that resolution runs
// on (cookie and email are); each is linked to the person its record resolved to, after resolution.
//
// The rules (issue #20):
// 1. An identifier names one person: the one it was last linked to (latest wins). Moving it from
//    another person is on the merge history ("identifier_moved", with the raw record behind it).
// 2. A kind's limit (config: a count, ever or per day/week/month, counted by the identifiers'
//    first-seen times) is checked before each link. A link that would break it is not made: the
//    identifier is demoted, the record still counts for its person, and the history says "refused"
//    with the rule `<kind>_limit`.
// 3. Every identifier of an accepted record resolves to exactly one profile: a demoted identifier
//    stays with the person it names, and one never seen before founds an empty profile of its own.
// 4. The links of a batch are made in observation order, each seeing the ones before it, so a
//    batch links as its records would one by one.
import { type IdentitySettings, windowStart } from '../../domain/identifier-kinds.ts'
import type { MergeLogEntry } from '../../domain/identity.ts'
import type { ProfileState } from '../../domain/profile.ts'
import type { EventTransaction } from '../../storage/ports/events.ts'
import type { IdentityTransaction } from '../../storage/ports/identity.ts'
import { emptyProfile } from './merge.ts'
import { type BatchObservation, compareObservations } from './resolve-batch.ts'

export interface LinkedIdentifiers {
  merges: MergeLogEntry[]
  /** Empty profiles founded by demoted identifiers seen for the first time. */
  created: ProfileState[]
}

export function createLinkIdentifiersStage(deps: { settings: IdentitySettings; newProfileId: () => string }) {
  const priority = (kind: string) => deps.settings.byKind.get(kind)?.priority ?? Number.MAX_SAFE_INTEGER

  return async function linkIdentifiers(
    tx: Pick<EventTransaction, 'linkIdentifiers' | 'loadIdentifierLinks'> & Pick<IdentityTransaction, 'insertMerges' | 'replaceProfile'>,
    items: readonly BatchObservation[],
    resolvedTo: ReadonlyMap<number, string>,
    now: number,
    /** Profiles this batch generated: they hold nothing stored yet, so their holdings are not read. */
    generated: ReadonlySet<string> = new Set(),
  ): Promise<LinkedIdentifiers> {
    const wanted: Array<{ kind: string; value: string; profileId: string; at: number; rawId: number }> = []
    for (const item of [...items].sort(compareObservations)) {
      const profileId = resolvedTo.get(item.rawId)
      const identifiers = item.observation.identifiers
      if (!profileId || !identifiers) continue
      // Highest priority first: within one record, a limit demotes the lower-priority identifier.
      for (const id of [...identifiers].sort((a, b) => priority(a.kind) - priority(b.kind))) {
        wanted.push({ ...id, profileId, at: item.observation.observedAt, rawId: item.rawId })
      }
    }
    if (wanted.length === 0) return { merges: [], created: [] }

    const { owners, held } = await tx.loadIdentifierLinks({ keys: wanted, profileIds: [...new Set(wanted.map((w) => w.profileId))].filter((id) => !generated.has(id)) })
    const links = new Map<string, { kind: string; value: string; profileId: string; at: number }>()
    const merges: MergeLogEntry[] = []
    const created: ProfileState[] = []
    const holdings = (profileId: string) => {
      let list = held.get(profileId)
      if (!list) held.set(profileId, (list = []))
      return list
    }
    for (const w of wanted) {
      const key = `${w.kind}:${w.value}`
      const owner = owners.get(key)
      if (owner === w.profileId) {
        links.set(key, w)
        continue
      }
      const limit = deps.settings.byKind.get(w.kind)?.limit
      const since = limit ? windowStart(limit, w.at) : 0
      const count = holdings(w.profileId).filter((h) => h.kind === w.kind && h.firstSeen >= since).length
      if (limit && limit.count !== null && count >= limit.count) {
        merges.push({ survivorId: w.profileId, absorbedId: null, reason: 'refused', identifierKind: w.kind, identifier: w.value, rawId: w.rawId, detail: { rule: `${w.kind}_limit`, limit: limit.count, ...(limit.window === 'ever' ? {} : { window: limit.window }) } })
        if (owner === undefined) {
          const own = emptyProfile(deps.newProfileId(), null, now)
          created.push(own)
          owners.set(key, own.id)
          holdings(own.id).push({ kind: w.kind, value: w.value, firstSeen: w.at })
          links.set(key, { ...w, profileId: own.id })
        }
        continue
      }
      if (owner !== undefined) {
        const list = holdings(owner)
        const at = list.findIndex((h) => h.kind === w.kind && h.value === w.value)
        const [moved] = at >= 0 ? list.splice(at, 1) : []
        holdings(w.profileId).push({ kind: w.kind, value: w.value, firstSeen: moved?.firstSeen ?? w.at })
        merges.push({ survivorId: w.profileId, absorbedId: owner, reason: 'identifier_moved', identifierKind: w.kind, identifier: w.value, rawId: w.rawId })
      } else {
        holdings(w.profileId).push({ kind: w.kind, value: w.value, firstSeen: w.at })
      }
      owners.set(key, w.profileId)
      links.set(key, w)
    }
    for (const profile of created) await tx.replaceProfile(profile)
    await tx.linkIdentifiers([...links.values()])
    if (merges.length > 0) await tx.insertMerges(merges, now)
    return { merges, created }
  }
}
