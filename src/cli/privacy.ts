// `cdp privacy erase|export|suppress|unsuppress|status`: the privacy operations without the server
// (docs/privacy.md). Erasure runs to completion here; its audit row names "cli" as who asked.
import fs from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { Config } from '../config.ts'
import { openRuntime, type Runtime } from '../compose.ts'
import { AppError } from '../errors.ts'
import { parseKindValue } from '../domain/identifier-kinds.ts'
import type { IdentifierKind, PersonIdentifier } from '../storage/ports/privacy.ts'
import { jobToJson } from '../api/routes/privacy.ts'
import { describeIdentifierProblem } from '../privacy/identifiers.ts'

export interface IdentifierOptions {
  email?: string
  cookie?: string
  profileId?: string
  userId?: string
  /** NDJSON, one identifier a line: {"email": "…"} or {"cookie": "…"} … */
  file?: string
  /** erase only: the raw records carrying exactly this value (a malformed identifier no person is keyed by). */
  rawValue?: string
  /** Any kind, kind:value (loyalty_id:L-1001): a linked identifier names the person by their profile id. */
  identifier?: string
}

const KINDS: ReadonlyArray<[keyof IdentifierOptions, IdentifierKind]> = [
  ['email', 'email'],
  ['cookie', 'cookie'],
  ['profileId', 'profile_id'],
  ['userId', 'user_id'],
]

export function identifiersFrom(options: IdentifierOptions): PersonIdentifier[] {
  const out: PersonIdentifier[] = []
  for (const [option, kind] of KINDS) if (options[option] !== undefined) out.push({ kind, value: options[option] as string })
  if (options.file) {
    const lines = fs.readFileSync(options.file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (line.trim() === '') return
      const item = JSON.parse(line) as Record<string, unknown>
      const named = KINDS.filter(([, kind]) => typeof item[kind] === 'string')
      if (named.length !== 1) throw new AppError('invalid_input', `${options.file} line ${i + 1}: name exactly one of email, cookie, profile_id, user_id`)
      const kind = (named[0] as [string, IdentifierKind])[1]
      const identifier = { kind, value: item[kind] as string }
      const problem = describeIdentifierProblem(identifier)
      if (problem !== null) throw new AppError('invalid_input', `${options.file} line ${i + 1}: ${problem}`)
      out.push(identifier)
    })
  }
  if (out.length === 0 && (options.rawValue !== undefined || options.identifier !== undefined)) return out
  if (out.length === 0) throw new AppError('invalid_input', 'name a person: --email, --cookie, --profile-id, --user-id, --identifier kind:value or --file ids.ndjson')
  return out
}

/** --identifier kind:value as a person identifier: the four privacy kinds as given, any other kind by the profile it names now. */
async function identifierOption(runtime: Runtime, text: string | undefined): Promise<PersonIdentifier[]> {
  if (text === undefined) return []
  const parsed = parseKindValue(text)
  if (!parsed) throw new AppError('invalid_input', `--identifier must be kind:value, e.g. loyalty_id:L-1001 (got "${text}")`)
  const { kind, value } = parsed
  const own = KINDS.find(([, k]) => k === kind)
  if (own) return [{ kind: own[1], value }]
  const profileId = await runtime.store.findProfileId(kind, value)
  if (!profileId) throw new AppError('not_found', `no user with ${kind} "${value}"`)
  return [{ kind: 'profile_id', value: profileId }]
}

export async function eraseCommand(config: Config, options: IdentifierOptions & { suppress?: boolean }, out: Writable): Promise<void> {
  const runtime = await openRuntime(config)
  try {
    const rawValues = options.rawValue === undefined ? [] : [options.rawValue]
    const identifiers = [...identifiersFrom(options), ...(await identifierOption(runtime, options.identifier))]
    // As DELETE /api/user?raw_value=: it erases raw records, not a person, so it is given alone.
    if (rawValues.length > 0 && identifiers.length > 0) throw new AppError('invalid_input', '--raw-value: give it alone, not with a person (--email, --cookie, --profile-id, --user-id, --file)')
    const job = await runtime.privacy.erase({ identifiers, rawValues, suppress: options.suppress === true, requestedBy: 'cli' })
    out.write(`${JSON.stringify(jobToJson(job), null, 2)}\n`)
  } finally {
    await runtime.close()
  }
}

export async function exportCommand(config: Config, options: IdentifierOptions & { out?: string }, stdout: Writable): Promise<void> {
  const given = identifiersFrom(options)
  const runtime = await openRuntime(config)
  try {
    const identifiers = [...given, ...(await identifierOption(runtime, options.identifier))]
    if (identifiers.length !== 1) throw new AppError('invalid_input', 'export one person at a time: give exactly one of --email, --cookie, --profile-id, --user-id, --identifier')
    const document = await runtime.privacy.exportPerson(identifiers[0] as PersonIdentifier)
    const target = options.out ? fs.createWriteStream(options.out) : stdout
    for await (const piece of document) if (!target.write(piece)) await once(target, 'drain')
    if (options.out) {
      target.end()
      await once(target, 'finish')
    } else target.write('\n')
  } finally {
    await runtime.close()
  }
}

export async function suppressCommand(config: Config, options: IdentifierOptions & { remove?: boolean }, out: Writable): Promise<void> {
  if (options.identifier !== undefined) throw new AppError('invalid_input', '--identifier: suppression takes the identifiers later data carries as keys: --email, --cookie or --user-id')
  const runtime = await openRuntime(config)
  try {
    const identifiers = identifiersFrom(options)
    const result = options.remove ? await runtime.privacy.unsuppress(identifiers) : await runtime.privacy.suppress(identifiers)
    out.write(`${JSON.stringify(result)}\n`)
  } finally {
    await runtime.close()
  }
}

export async function statusCommand(config: Config, jobId: string, out: Writable): Promise<void> {
  const runtime = await openRuntime(config)
  try {
    out.write(`${JSON.stringify(jobToJson(await runtime.privacy.job(jobId)), null, 2)}\n`)
  } finally {
    await runtime.close()
  }
}
