// Identity operations (issue #12): merge history, unmerge (rebuilt from the raw store), manual
// merge. Wired in compose.ts; the routes are api/routes/merges.ts, the commands cli/user.ts.
//
// An unmerge undoes the link a merge stands for, a (cookie, email) pair:
// - email_match, email_attached: the raw record's cookie logged in with the entry's email;
// - cookie_moved: the entry's cookie logged in with the raw record's email;
// - manual: no link in the raw store at all (the admin made it); the rebuild alone separates them.
// The pair goes on refused_links (resolution will not make it again, resolve-batch.ts rule 5), its
// login rows are deleted, and every person involved is rebuilt from their raw records in one
// transaction (pipeline/rebuild.ts). The survivor keeps its id; the split-off person gets back the
// id it had before the merge, when it had one.
import { AppError } from '../errors.ts'
import { identityKey, type StoredMergeEntry } from '../domain/identity.ts'
import type { ProfileView } from '../domain/profile.ts'
import type { IngestPipeline } from '../pipeline/run.ts'
import type { IdentityTransaction } from '../storage/ports/identity.ts'
import type { ProfileReader } from '../storage/ports/profiles.ts'

/** cookie, email, profile_id, user_id, or any linked kind (phone, device_id, declared ones). */
export type PersonKind = string
export interface PersonRef {
  kind: PersonKind
  value: string
}

export interface IdentityServiceOptions {
  pipeline: IngestPipeline
  store: Pick<ProfileReader, 'listMerges' | 'loadProfileView'>
  log?: (message: string) => void
}

export interface PersonSummary {
  profileId: string
  email: string | null
  cookies: string[]
}

export interface UnmergeResult {
  unmergeId: number
  /** The links now refused. */
  refused: Array<{ cookie: string; email: string }>
  profiles: PersonSummary[]
}

type Target = { mergeId: number } | { person: PersonRef; detachCookie: string }

export class IdentityService {
  constructor(readonly options: IdentityServiceOptions) {}

  /** Every merge log entry that shaped the profile, its absorbed profiles' included, oldest first. */
  async history(profileId: string): Promise<StoredMergeEntry[]> {
    return await this.options.store.listMerges(profileId)
  }

  async unmerge(target: Target, by: string | null): Promise<UnmergeResult> {
    const outcome = await this.options.pipeline.identityTransaction(async (tx, ops) => {
      const plan = 'mergeId' in target ? await planMergeUndo(tx, target.mergeId) : await planDetach(tx, target.person, target.detachCookie)
      const evidence = await tx.loadPeopleEvidence(plan.involved)
      // Ingest batches naming these identifiers wait for the rebuild (PostgreSQL; SQLite has one writer).
      const keys = [...evidence.cookies.keys(), ...plan.links.map((l) => l.cookie)].map((c) => `cookie:${c}`)
      keys.push(...[...evidence.emails.keys(), ...plan.links.map((l) => l.email)].map((e) => `email:${e}`))
      await tx.lockIdentifiers([...new Set(keys)])
      for (const link of plan.links) {
        if (!(evidence.logins.get(link.cookie) ?? []).some((l) => l.email === link.email)) {
          throw new AppError('conflict', `merge ${plan.mergeId ?? ''} is already undone: cookie "${link.cookie}" has no login with "${link.email}"`)
        }
      }
      const preferred = new Map<string, string>()
      for (const [email, profileId] of evidence.emails) preferred.set(identityKey('email', email), profileId)
      for (const [key, id] of plan.preferred) preferred.set(key, id)
      // Taken before the links' logins go: the timeline as it placed the records.
      const records = ops.recordsOfPeople(evidence)
      const mergeId = 'mergeId' in target ? target.mergeId : null
      const now = Date.now()
      await tx.refuseLinks(plan.links.map((l) => ({ ...l, reason: 'unmerge', mergeId, by })), now)
      await tx.deleteLogins(plan.links)
      await tx.deletePeople(plan.involved)
      const reason = mergeId === null ? `cookie ${plan.links[0]?.cookie ?? ''} detached` : `unmerge of merge ${mergeId}`
      const previousIds = [...new Set([...plan.involved, ...plan.preferred.values()])]
      const rebuilt = await ops.rebuildPeople(records, { preferred, previousIds, reason })
      // An id that is a live profile again no longer resolves to its old survivor.
      await tx.deleteProfileAliases([...rebuilt.keys()])
      const resulting = [...new Set((await Promise.all(plan.results.map((ref) => tx.resolveProfileId(ref.kind, ref.value)))).filter((id): id is string => id !== undefined))]
      const survivorId = resulting[0] ?? plan.involved[0] ?? ''
      const [unmergeId] = await tx.insertMerges(
        [
          {
            survivorId,
            absorbedId: resulting[1] ?? null,
            reason: 'unmerged',
            identifierKind: plan.links.length > 0 ? 'cookie' : 'email',
            identifier: plan.links[0]?.cookie ?? plan.results[1]?.value ?? '',
            rawId: null,
            detail: { merge_id: mergeId, by, refused: plan.links },
          },
        ],
        now,
      )
      return { unmergeId: unmergeId ?? 0, refused: plan.links, ids: resulting }
    })
    return { unmergeId: outcome.unmergeId, refused: outcome.refused, profiles: await this.summaries(outcome.ids) }
  }

  /** Joins `from`'s profile into `into`'s: an admin knows they are one person. */
  async merge(input: { from: PersonRef; into: PersonRef }, by: string | null): Promise<{ mergeId: number; profile: PersonSummary; allowed: number }> {
    const outcome = await this.options.pipeline.identityTransaction(async (tx, ops) => {
      const absorbedId = await resolveOrThrow(tx, input.from)
      const survivorId = await resolveOrThrow(tx, input.into)
      if (absorbedId === survivorId) throw new AppError('conflict', `${input.from.kind} "${input.from.value}" and ${input.into.kind} "${input.into.value}" are already one profile (${survivorId})`)
      // An admin who joins them allows what an unmerge refused between them.
      const allowed = await tx.allowLinksAmong([absorbedId, survivorId])
      const absorbed = (await tx.loadProfiles([absorbedId])).get(absorbedId)
      const email = absorbed?.email ?? null
      // All of them: an unmerge of this entry gives them back to the absorbed id.
      const emails = await tx.emailsOf(absorbedId)
      await ops.mergePeople({ survivorId, absorbedId, reason: `merged by hand into ${survivorId}` })
      const [mergeId] = await tx.insertMerges(
        [
          {
            survivorId,
            absorbedId,
            reason: 'manual',
            identifierKind: email !== null ? 'email' : input.from.kind === 'cookie' ? 'cookie' : input.from.kind === 'user_id' ? 'user' : 'email',
            identifier: email ?? input.from.value,
            rawId: null,
            detail: { by, emails },
          },
        ],
        Date.now(),
      )
      return { survivorId, allowed, mergeId: mergeId ?? 0 }
    })
    const [profile] = await this.summaries([outcome.survivorId])
    if (!profile) throw new Error(`merge: profile ${outcome.survivorId} vanished`)
    return { mergeId: outcome.mergeId, profile, allowed: outcome.allowed }
  }

  /** Lets resolution make a refused link again; false when it was not refused. */
  async allowLink(link: { cookie: string; email: string }): Promise<boolean> {
    return await this.options.pipeline.identityTransaction(async (tx) => (await tx.allowLinks([link])) > 0)
  }

  private async summaries(ids: readonly string[]): Promise<PersonSummary[]> {
    const views = await Promise.all(ids.map((id) => this.options.store.loadProfileView(id)))
    return views.filter((v): v is ProfileView => v !== undefined).map((v) => ({ profileId: v.profile.id, email: v.profile.email, cookies: v.cookies.map((c) => c.cookie) }))
  }
}

interface UndoPlan {
  /** The profiles as they stand now, whose records are rebuilt. */
  involved: string[]
  links: Array<{ cookie: string; email: string }>
  /** identity key -> the id its person keeps (beyond each email keeping its profile's). */
  preferred: Map<string, string>
  /** Identifiers naming the resulting people, survivor first. */
  results: PersonRef[]
  /** The merge undone, whose links must still stand. */
  mergeId?: number
}

async function resolveOrThrow(tx: IdentityTransaction, ref: PersonRef): Promise<string> {
  const value = ref.kind === 'email' ? ref.value.trim().toLowerCase() : ref.value.trim()
  const id = await tx.resolveProfileId(ref.kind, value)
  if (!id) throw new AppError('not_found', `no user with ${ref.kind} "${ref.value}"`)
  return id
}

async function planMergeUndo(tx: IdentityTransaction, mergeId: number): Promise<UndoPlan> {
  const m = await tx.loadMerge(mergeId)
  if (!m) throw new AppError('not_found', `no merge with id ${mergeId}`)
  // An erasure keeps a row that is another person's history too, with the erased person's profile id
  // and identifier cleared (null). The erased side cannot be split off again; a cleared absorbed_id
  // is handled below like any absorbed profile that no longer exists.
  if (m.survivorId === null) throw new AppError('conflict', `merge ${mergeId}: the profile it made was erased, so there is nothing to split`)
  if (m.identifier === null) throw new AppError('conflict', `merge ${mergeId}: its identifier belonged to a person since erased, so the link is unknown`)
  const survivor = await tx.resolveProfileId('profile_id', m.survivorId)
  if (!survivor) throw new AppError('conflict', `merge ${mergeId}: its profile ${m.survivorId} no longer exists`)
  const involved = [survivor]
  const preferred = new Map<string, string>()
  const absorbedNow = m.absorbedId === null ? undefined : await tx.resolveProfileId('profile_id', m.absorbedId)
  if (absorbedNow !== undefined && absorbedNow !== survivor) involved.push(absorbedNow)
  let link: { cookie: string; email: string } | null = null
  if (m.reason === 'email_match' || m.reason === 'email_attached') {
    if (m.rawCookie === null) throw new AppError('conflict', `merge ${mergeId}: the raw record that caused it is gone, so its cookie is unknown; detach the cookie instead`)
    link = { cookie: m.rawCookie, email: m.identifier }
    // The anonymous profile it absorbed comes back under its old id.
    if (m.reason === 'email_match' && m.absorbedId !== null && absorbedNow === survivor) preferred.set(identityKey('cookie', m.rawCookie), m.absorbedId)
  } else if (m.reason === 'cookie_moved') {
    if (m.rawEmail === null) throw new AppError('conflict', `merge ${mergeId}: the raw record that caused it is gone, so its email is unknown; detach the cookie instead`)
    link = { cookie: m.identifier, email: m.rawEmail }
  } else if (m.reason === 'manual') {
    // An erased person's emails are cleared to null in a kept row.
    const emails = Array.isArray(m.detail?.emails) ? (m.detail.emails as unknown[]).filter((e): e is string => typeof e === 'string') : []
    if (m.absorbedId !== null && absorbedNow === survivor) for (const email of emails) preferred.set(identityKey('email', email), m.absorbedId)
    const results: PersonRef[] = [{ kind: 'profile_id', value: survivor }, ...emails.map((value) => ({ kind: 'email' as const, value }))]
    return { involved, links: [], preferred, results }
  } else {
    throw new AppError('invalid_input', `merge ${mergeId} is a "${m.reason}" entry: only email_match, email_attached, cookie_moved and manual merges can be undone`)
  }
  return { involved, links: [link], preferred, results: [{ kind: 'email', value: link.email }, { kind: 'cookie', value: link.cookie }], mergeId }
}

async function planDetach(tx: IdentityTransaction, person: PersonRef, cookie: string): Promise<UndoPlan> {
  const profileId = await resolveOrThrow(tx, person)
  const evidence = await tx.loadPeopleEvidence([profileId])
  const logins = evidence.logins.get(cookie) ?? []
  const emails = [...new Set(logins.map((l) => l.email).filter((e) => evidence.emails.has(e)))].sort()
  if (emails.length === 0) throw new AppError('invalid_input', `cookie "${cookie}" never logged in with an email of profile ${profileId}: nothing links them`)
  const links = emails.map((email) => ({ cookie, email }))
  return { involved: [profileId], links, preferred: new Map(), results: [{ kind: 'profile_id', value: profileId }, { kind: 'cookie', value: cookie }] }
}
