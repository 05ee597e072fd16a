// Identity: accepted observations → profiles. Locks the identifiers they name, loads what is known
// of them, resolves the batch (pure, resolve-batch.ts), saves the result and folds again every
// person a late login reorders.
import { type IdentityLimits, identityKey, type MergeLogEntry } from '../../domain/identity.ts'
import type { ProfileState } from '../../domain/profile.ts'
import type { StoredRawRecord } from '../../domain/raw-record.ts'
import type { Observation } from '../../domain/types.ts'
import type { IdentityTransaction } from '../../storage/ports/identity.ts'
import type { EventTransaction } from '../../storage/ports/events.ts'
import type { IdentitySettings } from '../../domain/identifier-kinds.ts'
import { cookiesToCheck, type DemotedCookie, demoteCookies } from './demote-cookie.ts'
import { applyObservation, emptyProfile } from './merge.ts'
import { keepPreferredIds, type RebuildIds } from './rebuild-ids.ts'
import { type BatchObservation, compareObservations, resolveBatch } from './resolve-batch.ts'
import { assignAnonymous, isSharedDeviceObservation } from './timeline.ts'

export interface ResolvedIdentities {
  /** Every profile changed, rebuilt persons included. */
  touched: Map<string, ProfileState>
  absorbed: ReadonlyArray<{ id: string; into: string }>
  merges: MergeLogEntry[]
  /** Raw id -> the profile its record went to. */
  resolvedTo: ReadonlyMap<number, string>
  /**
   * Touched profiles whose id this call generated: no segment membership or schedule can be stored
   * under them yet, so segment evaluation need not read any.
   */
  created: Set<string>
}

export function createResolveIdentityStage(deps: {
  newProfileId: () => string
  /** The observation an accepted raw row stands for, read as when it was accepted; null when it no longer reads. */
  observationOf: (row: StoredRawRecord) => Observation | null
  /** Guardrails (none when absent). */
  limits?: IdentityLimits
  /** Identifier kinds and their limits: a user id past its limit demotes the cookie (demote-cookie.ts). */
  settings?: IdentitySettings
}) {
  /** Email-less records whose user id their cookie's person may not take go by the user id instead. */
  async function demoteCookiesOf(tx: Pick<EventTransaction, 'loadIdentifierLinks'>, items: readonly BatchObservation[]): Promise<{ items: readonly BatchObservation[]; demoted: DemotedCookie[]; cookieOwners: ReadonlyMap<string, string> }> {
    const settings = deps.settings
    const cookies = settings ? cookiesToCheck(items, settings) : []
    if (!settings || cookies.length === 0) return { items, demoted: [], cookieOwners: new Map() }
    const owners = (await tx.loadIdentifierLinks({ keys: cookies.map((value) => ({ kind: 'cookie', value })), profileIds: [] })).owners
    const cookieOwners = new Map<string, string>()
    for (const c of cookies) {
      const owner = owners.get(`cookie:${c}`)
      if (owner !== undefined) cookieOwners.set(c, owner)
    }
    const { held } = await tx.loadIdentifierLinks({ keys: [], profileIds: [...new Set(cookieOwners.values())] })
    return { ...demoteCookies(items, { settings, cookieOwners, held }), cookieOwners }
  }

  /** On the history of the person the cookie names after the batch: the cookie was kept from the user id's record. */
  function demotionEntries(demoted: readonly DemotedCookie[], cookieOwner: (cookie: string) => string | undefined): MergeLogEntry[] {
    return demoted.flatMap((d) => {
      const survivorId = cookieOwner(d.cookie)
      if (survivorId === undefined) return []
      const detail = { rule: 'user_id_limit', limit: d.limit, ...(d.window === 'ever' ? {} : { window: d.window }), demoted: 'cookie', user_id: d.userId }
      return [{ survivorId, absorbedId: null, reason: 'refused' as const, identifierKind: 'cookie', identifier: d.cookie, rawId: d.rawId, detail }]
    })
  }

  const sharedDeviceEmails = deps.limits?.sharedDeviceEmails ?? Number.POSITIVE_INFINITY
  /**
   * Folds a person again from every observation that belongs to them: their own records and the
   * anonymous records of their cookies that the login timeline assigns to them. Needed when a login
   * arrives after observations it precedes (see resolve-batch.ts).
   */
  async function rebuildPerson(tx: IdentityTransaction, email: string): Promise<ProfileState | undefined> {
    const evidence = await tx.loadPersonEvidence(email)
    if (!evidence.profile) return undefined
    const observations: BatchObservation[] = []
    for (const row of evidence.records) {
      const o = deps.observationOf(row)
      if (o === null) continue
      if (o.email !== null && !evidence.emails.has(o.email)) continue
      const logins = evidence.logins.get(o.cookie) ?? []
      // A shared device's anonymous observations are its own profile's (resolve-batch.ts rule 6).
      if (o.email === null && (isSharedDeviceObservation(logins, o.observedAt, sharedDeviceEmails) || !evidence.emails.has(assignAnonymous(logins, o.observedAt) ?? ''))) continue
      observations.push({ observation: o, rawId: row.id, source: row.source })
    }
    observations.sort(compareObservations)
    let profile = emptyProfile(evidence.profile.id, evidence.profile.email ?? email, evidence.profile.createdAt)
    for (const item of observations) profile = applyObservation(profile, item.observation, item.source)
    await tx.replaceProfile(profile)
    return profile
  }

  /**
   * `rebuild`: the items are every record of people whose derived rows were just deleted (an
   * unmerge); the people they make keep their previous ids (rebuild-ids.ts).
   */
  return async function resolveIdentity(
    tx: IdentityTransaction & Pick<EventTransaction, 'loadIdentifierLinks'>,
    given: readonly BatchObservation[],
    now: number,
    rebuild?: RebuildIds,
  ): Promise<ResolvedIdentities> {
    if (given.length === 0) return { touched: new Map(), absorbed: [], merges: [], resolvedTo: new Map(), created: new Set() }
    const demotion = await demoteCookiesOf(tx, given)
    const items = demotion.items
    const cookies = [...new Set(items.map((i) => i.observation.cookie))]
    const emails = [...new Set(items.flatMap((i) => (i.observation.email ? [i.observation.email] : [])))]
    await tx.lockIdentifiers([...cookies.map((c) => `cookie:${c}`), ...emails.map((e) => `email:${e}`)])
    const links = items.flatMap(({ observation: o }) => (o.email ? [{ cookie: o.cookie, email: o.email }] : []))
    const state = await tx.loadResolveState({ cookies, emails, links })
    const resolved = resolveBatch(state, items, { newProfileId: deps.newProfileId, now, ...(deps.limits ? { limits: deps.limits } : {}) })
    // A demoted cookie left the batch: its stored owner, or, first seen in this batch, the profile the
    // batch gave it (every demotion is on a history).
    const cookieOwner = (cookie: string) => (resolved.identities.get(identityKey('cookie', cookie)) ?? state.identities.get(identityKey('cookie', cookie)))?.profileId ?? demotion.cookieOwners.get(cookie)
    resolved.merges.push(...demotionEntries(demotion.demoted, cookieOwner))
    const changes = rebuild ? keepPreferredIds(resolved, { ...rebuild, loaded: new Set(state.profiles.keys()), now }) : resolved
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
    // Generated here and still under that id: a rebuild that kept a person's previous id
    // (keepPreferredIds, rebuildPerson) or a loaded profile did not create it.
    const created = new Set([...touched.keys()].filter((id) => resolved.created.has(id) && !state.profiles.has(id)))
    for (const email of [...changes.rebuild].sort()) {
      const rebuilt = await rebuildPerson(tx, email)
      if (rebuilt) {
        touched.set(rebuilt.id, rebuilt)
        created.delete(rebuilt.id)
      }
    }
    return { touched, absorbed: changes.absorbed, merges: changes.merges, resolvedTo: changes.resolvedTo, created }
  }
}
