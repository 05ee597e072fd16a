// `cdp user merges|unmerge|merge|allow`: a person's identity from the command line, over the same
// service as the API (privacy/identity-service.ts). Actions are recorded as done by "cli".
import type { Config } from '../config.ts'
import { likelyMatchToJson } from '../api/routes/likely-matches.ts'
import { AppError } from '../errors.ts'
import { parseKindValue } from '../domain/identifier-kinds.ts'
import { type Runtime, withRuntime } from '../compose.ts'
import type { PersonRef, PersonSummary } from '../privacy/identity-service.ts'

const BY = 'cli'

/** Flags naming one person, with an optional prefix ("from", "into"). */
export interface PersonFlags {
  email?: string
  cookie?: string
  profileId?: string
  userId?: string
  /** Any kind: "phone:+15551234567", "loyalty_id:L-1001". */
  identifier?: string
}

export function personOf(flags: PersonFlags, prefix = ''): PersonRef {
  const given: PersonRef[] = []
  if (flags.email !== undefined) given.push({ kind: 'email', value: flags.email })
  if (flags.cookie !== undefined) given.push({ kind: 'cookie', value: flags.cookie })
  if (flags.profileId !== undefined) given.push({ kind: 'profile_id', value: flags.profileId })
  if (flags.userId !== undefined) given.push({ kind: 'user_id', value: flags.userId })
  const flag = (name: string) => `--${prefix}${name}`
  if (flags.identifier !== undefined) {
    const parsed = parseKindValue(flags.identifier)
    if (!parsed) throw new AppError('invalid_input', `${flag('identifier')} must be kind:value, e.g. loyalty_id:L-1001 (got "${flags.identifier}")`)
    given.push(parsed)
  }
  if (given.length !== 1) throw new AppError('invalid_input', `give exactly one of ${['email', 'cookie', 'profile-id', 'user-id', 'identifier'].map(flag).join(', ')}`)
  return given[0] as PersonRef
}

async function profileIdOf(runtime: Runtime, person: PersonRef): Promise<string> {
  const value = person.kind === 'email' ? person.value.trim().toLowerCase() : person.value.trim()
  const id = await runtime.store.findProfileId(person.kind, value)
  if (!id) throw new AppError('not_found', `no user with ${person.kind} "${person.value}"`)
  return id
}

function summaryLine(p: PersonSummary): string {
  return `${p.profileId}  ${p.email ?? '-'}  cookies: ${p.cookies.join(', ') || '-'}`
}

export async function mergesCommand(config: Config, flags: PersonFlags & { json?: boolean }, out: NodeJS.WritableStream): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const profileId = await profileIdOf(runtime, personOf(flags))
    const entries = await runtime.identity.history(profileId)
    if (flags.json) {
      out.write(`${JSON.stringify({ profile_id: profileId, merges: entries }, null, 2)}\n`)
      return
    }
    if (entries.length === 0) {
      out.write(`profile ${profileId}: no merges\n`)
      return
    }
    const lines = entries.map((m) => [
      String(m.id),
      new Date(m.createdAt).toISOString(),
      m.reason,
      // Null: an erasure cleared the person this row shared with the profile shown.
      m.survivorId ?? '(erased)',
      m.absorbedId ?? '-',
      `${m.identifierKind}:${m.identifier ?? '(erased)'}`,
      m.raw ? `raw ${m.raw.id} (${m.raw.source})` : '-',
      m.detail ? JSON.stringify(m.detail) : '',
    ])
    const header = ['ID', 'AT', 'REASON', 'SURVIVOR', 'ABSORBED', 'IDENTIFIER', 'RAW RECORD', 'DETAIL']
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)))
    for (const line of [header, ...lines]) out.write(`${line.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`)
  })
}

export async function unmergeCommand(config: Config, flags: PersonFlags & { mergeId?: number; detachCookie?: string }, out: NodeJS.WritableStream): Promise<void> {
  const { mergeId, detachCookie, ...person } = flags
  const target =
    mergeId !== undefined
      ? { mergeId }
      : detachCookie !== undefined
        ? { person: personOf(person), detachCookie }
        : null
  if (!target) throw new AppError('invalid_input', 'give --merge-id N, or a person (--profile-id P, --email E, …) and --detach-cookie C')
  await withRuntime(config, async (runtime) => {
    const result = await runtime.identity.unmerge(target, BY)
    out.write(`unmerged (entry ${result.unmergeId}); refused from now on: ${result.refused.map((l) => `${l.cookie} + ${l.email}`).join(', ') || 'nothing'}\n`)
    for (const p of result.profiles) out.write(`  ${summaryLine(p)}\n`)
  })
}

export async function mergeCommand(config: Config, flags: { from: PersonFlags; into: PersonFlags }, out: NodeJS.WritableStream): Promise<void> {
  const from = personOf(flags.from, 'from-')
  const into = personOf(flags.into, 'into-')
  await withRuntime(config, async (runtime) => {
    const result = await runtime.identity.merge({ from, into }, BY)
    out.write(`merged (entry ${result.mergeId}) into ${summaryLine(result.profile)}\n`)
  })
}

export async function allowLinkCommand(config: Config, link: { cookie: string; email: string }, out: NodeJS.WritableStream): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const email = link.email.trim().toLowerCase()
    if (!(await runtime.identity.allowLink({ cookie: link.cookie, email }))) throw new AppError('not_found', `no refused link between cookie "${link.cookie}" and "${email}"`)
    out.write(`cookie ${link.cookie} and ${email} may link again\n`)
  })
}

/** `cdp user likely-matches`: anonymous profiles that are probably one person (opt-in, docs/identity.md); join one with `cdp user merge`. */
export async function likelyMatchesCommand(config: Config, options: { minConfidence?: number; limit?: number; json?: boolean }, out: NodeJS.WritableStream): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const { total, matches } = await runtime.likelyMatches.list({ minConfidence: options.minConfidence, limit: options.limit ?? 50, offset: 0 })
    if (options.json) {
      out.write(`${JSON.stringify({ enabled: runtime.likelyMatches.enabled, total, likely_matches: matches.map(likelyMatchToJson) }, null, 2)}\n`)
      return
    }
    if (!runtime.likelyMatches.enabled && total === 0) {
      out.write('likely matches are off (CDP_LIKELY_MATCHES=on keeps the sightings they are found from)\n')
      return
    }
    out.write(`${total} likely match${total === 1 ? '' : 'es'}${matches.length < total ? `, the strongest ${matches.length}` : ''}\n`)
    for (const m of matches) {
      const [a, b] = m.sides
      out.write(`${m.confidence.toFixed(2)}  ${a.profileId} (${a.cookies.join(', ')})  ~  ${b.profileId} (${b.cookies.join(', ')})  seen together ${m.count}×\n`)
      out.write(`      join: cdp user merge --from-profile-id ${a.profileId} --into-profile-id ${b.profileId}\n`)
    }
  })
}
