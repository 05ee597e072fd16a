// When people are rebuilt from the raw store (an unmerge), resolution runs over an empty slate and
// makes new profiles; this keeps their ids stable. Pure: a rebuild's changes with the ids it made
// replaced by the ids the people had before, and nothing of the rebuild's own bookkeeping.
import { identityKey } from '../../domain/identity.ts'
import type { ResolveChanges } from './resolve-batch.ts'

export interface RebuildIds {
  /** identity key -> the id its person keeps. */
  preferred: ReadonlyMap<string, string>
  /** The people the records were taken from (their rows are deleted); those not made again are gone. */
  previousIds: readonly string[]
}

/**
 * `preferred` maps an identity key (identityKey('email', e) or identityKey('cookie', c)) to the id its
 * person should keep. A profile made by the rebuild takes its email's preferred id, else one of its
 * cookies' (in key order); each preferred id goes to one profile at most, and ids of profiles that
 * were loaded (people the rebuild touched but did not make) never change.
 *
 * The rebuild's merge log and the ids it absorbed are dropped: the merges happened when the records
 * first arrived and were logged then; the ids absorbed here were only ever in memory. What is
 * absorbed instead is each previous person not made again: it leaves its cohorts and segments, and
 * its id resolves to the first person that is (as an absorbed id always does).
 */
export function keepPreferredIds(changes: ResolveChanges, input: RebuildIds & { loaded: ReadonlySet<string>; now: number }): ResolveChanges {
  const rename = new Map<string, string>()
  const taken = new Set<string>(input.loaded)
  const cookiesOf = new Map<string, string[]>()
  for (const row of changes.identities.values()) {
    if (row.kind !== 'cookie') continue
    const list = cookiesOf.get(row.profileId) ?? []
    list.push(identityKey('cookie', row.value))
    cookiesOf.set(row.profileId, list)
  }
  for (const profile of changes.profiles.values()) {
    if (input.loaded.has(profile.id)) continue
    const candidates = [...(profile.email === null ? [] : [identityKey('email', profile.email)]), ...(cookiesOf.get(profile.id) ?? []).sort()]
    for (const key of candidates) {
      const id = input.preferred.get(key)
      if (id === undefined || taken.has(id)) continue
      rename.set(profile.id, id)
      taken.add(id)
      break
    }
  }
  const idOf = (id: string) => rename.get(id) ?? id
  const profiles = new Map([...changes.profiles.values()].map((p) => [idOf(p.id), { ...p, id: idOf(p.id) }]))
  const identities = new Map(
    [...changes.identities].filter(([, row]) => row.kind !== 'profile').map(([key, row]) => [key, { ...row, profileId: idOf(row.profileId) }]),
  )
  const resolvedTo = new Map([...changes.resolvedTo].map(([rawId, id]) => [rawId, idOf(id)]))
  const into = input.previousIds.find((id) => profiles.has(id)) ?? [...profiles.keys()][0]
  const absorbed = into === undefined ? [] : input.previousIds.filter((id) => !profiles.has(id)).map((id) => ({ id, into }))
  for (const { id, into: survivor } of absorbed) {
    identities.set(identityKey('profile', id), { kind: 'profile', value: id, profileId: survivor, firstSeen: input.now, lastSeen: input.now })
  }
  return { ...changes, profiles, identities, resolvedTo, absorbed, merges: [] }
}
