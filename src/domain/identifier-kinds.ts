// The kinds of identifier a person can be known by, each with a priority, a limit and blocked
// values: the identity settings (config CDP_IDENTIFIERS, CDP_MAX_*_PER_PERSON, CDP_BLOCKED_IDENTIFIERS;
// GET /api/identity/settings; docs/privacy.md "Identifier kinds and guardrails").
//
// cookie and email are the keys identity resolution runs on (pipeline/identity/resolve-batch.ts);
// every other kind is linked to the person its record resolves to (pipeline/identity/link-stage.ts).

export type LimitWindow = 'ever' | 'day' | 'week' | 'month'

/** At most `count` identifiers of a kind per person, counted over the window; null count: no limit. */
export interface IdentifierLimit {
  readonly count: number | null
  readonly window: LimitWindow
}

export interface IdentifierKindSettings {
  readonly kind: string
  /** 1 is the highest. A limit demotes the record's lowest-priority identifier that breaks it. */
  readonly priority: number
  readonly limit: IdentifierLimit
  /** Values that name nobody (placeholders): kept in the record, never an identifier. Compared trimmed and lower-cased. */
  readonly blocked: readonly string[]
}

/**
 * The kinds every install knows. user_id is a Segment userId that is not an email. phone is linked
 * only when declared (CDP_IDENTIFIERS=phone), as in Segment's identity resolution: an identity row per
 * phone costs bulk ingest about a quarter of its throughput when half the records carry one
 * (docs/benchmarks.md), and a phone shared by a household should not name one of them by default.
 */
export const BUILT_IN_KINDS = ['user_id', 'email', 'device_id', 'cookie'] as const
/** Kinds that resolution runs on; the others are linked. */
export const KEY_KINDS: ReadonlySet<string> = new Set(['cookie', 'email'])

export const UNLIMITED: IdentifierLimit = Object.freeze({ count: null, window: 'ever' })

/**
 * Placeholders senders put where they have no identifier (Segment's identity resolution blocks the
 * same): empty-ish words, -1, and runs of zeroes or dashes of any length.
 */
export const DEFAULT_BLOCKED_VALUES: readonly string[] = Object.freeze(['', 'null', 'undefined', 'none', 'nil', 'n/a', 'nan', 'anonymous', 'unknown', '-1'])
const ZEROES_OR_DASHES = /^(?:0+|-+|0{8}-0{4}-0{4}-0{4}-0{12})$/

const WINDOW_MS: Record<LimitWindow, number> = { ever: Number.POSITIVE_INFINITY, day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 }

/** The earliest first-seen time an identifier must have to count against a limit at `now`. */
export function windowStart(limit: IdentifierLimit, now: number): number {
  const span = WINDOW_MS[limit.window]
  return span === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : now - span
}

/** "unlimited", "10", "5/week" (also day, month, ever). Throws with what to write instead. */
export function parseLimit(text: string): IdentifierLimit {
  const t = text.trim().toLowerCase()
  if (t === 'unlimited' || t === 'none') return UNLIMITED
  const m = /^(\d+)(?:\s*\/\s*(ever|day|week|month))?$/.exec(t)
  if (!m || Number(m[1]) < 1) throw new Error(`"${text}" is not a limit: write "unlimited", a count such as "10", or a count per window such as "5/week" (day, week, month)`)
  return Object.freeze({ count: Number(m[1]), window: (m[2] ?? 'ever') as LimitWindow })
}

export function describeLimit(limit: IdentifierLimit): string {
  if (limit.count === null) return 'unlimited'
  return limit.window === 'ever' ? String(limit.count) : `${limit.count}/${limit.window}`
}

const KIND_NAME = /^[a-z][a-z0-9_]{0,39}$/

/** A kind's name as identifiers objects, CSV columns and query strings use it. */
export function isKindName(name: string): boolean {
  return KIND_NAME.test(name)
}

/** "loyalty_id:L-1001" → {kind, value}; null unless a kind name, a colon and a value. */
export function parseKindValue(text: string): { kind: string; value: string } | null {
  const colon = text.indexOf(':')
  const kind = text.slice(0, colon).trim()
  const value = text.slice(colon + 1).trim()
  return colon > 0 && isKindName(kind) && value !== '' ? { kind, value } : null
}

export interface IdentitySettings {
  /** Highest priority first. */
  readonly kinds: readonly IdentifierKindSettings[]
  readonly byKind: ReadonlyMap<string, IdentifierKindSettings>
}

export interface IdentitySettingsInput {
  cookieLimit: IdentifierLimit
  userIdLimit: IdentifierLimit
  /** Declared kinds and limits, in priority order after user_id and email (phone among them; device_id may be re-declared). */
  declared: ReadonlyArray<{ kind: string; limit: IdentifierLimit }>
  /** Extra blocked values: for every kind (kind null) or one. */
  blocked: ReadonlyArray<{ kind: string | null; value: string }>
}

/**
 * The defaults keep the customer's rule: an email joins every cookie that logs in with it (no cookie
 * limit), one user id per person, device ids unlimited; phone and other kinds when declared.
 */
export function identitySettings(input: IdentitySettingsInput): IdentitySettings {
  const order: Array<{ kind: string; limit: IdentifierLimit }> = [
    { kind: 'user_id', limit: input.userIdLimit },
    { kind: 'email', limit: UNLIMITED },
  ]
  const declared = new Map(input.declared.map((d) => [d.kind, d.limit]))
  if (!declared.has('device_id')) order.push({ kind: 'device_id', limit: UNLIMITED })
  for (const d of input.declared) {
    if (d.kind === 'cookie' || d.kind === 'email' || d.kind === 'user_id') continue
    order.push({ kind: d.kind, limit: d.limit })
  }
  order.push({ kind: 'cookie', limit: input.cookieLimit })
  const kinds = order.map(({ kind, limit }, i) =>
    Object.freeze({
      kind,
      priority: i + 1,
      limit,
      blocked: Object.freeze([...new Set([...DEFAULT_BLOCKED_VALUES, ...input.blocked.filter((b) => b.kind === null || b.kind === kind).map((b) => b.value.trim().toLowerCase())])]),
    }),
  )
  return Object.freeze({ kinds: Object.freeze(kinds), byKind: new Map(kinds.map((k) => [k.kind, k])) })
}

/** One user id per person: the customer's default. */
export const DEFAULT_USER_ID_LIMIT: IdentifierLimit = Object.freeze({ count: 1, window: 'ever' })

/** The settings with nothing configured (config.identity's defaults; stages built without a config). */
export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = identitySettings({ cookieLimit: UNLIMITED, userIdLimit: DEFAULT_USER_ID_LIMIT, declared: [], blocked: [] })

/** Whether a (trimmed) value of this kind names nobody. */
export function isBlockedValue(settings: Pick<IdentifierKindSettings, 'blocked'>, value: string): boolean {
  const v = value.trim().toLowerCase()
  return settings.blocked.includes(v) || ZEROES_OR_DASHES.test(v)
}

/** `CDP_IDENTIFIERS`: "phone, loyalty_id:1, device_id:5/week" (kind[:limit], priority in order). */
export function parseDeclaredKinds(text: string): Array<{ kind: string; limit: IdentifierLimit }> {
  const seen = new Set<string>()
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name = '', limit] = entry.split(':')
      const kind = name.trim()
      if (!isKindName(kind)) throw new Error(`"${kind}" is not an identifier kind name: lower-case letters, digits and "_", starting with a letter`)
      if (kind === 'cookie' || kind === 'email' || kind === 'user_id') throw new Error(`"${kind}" is built in: set its limit with CDP_MAX_COOKIES_PER_PERSON or CDP_MAX_USER_IDS_PER_PERSON`)
      if (seen.has(kind)) throw new Error(`"${kind}" is declared twice`)
      seen.add(kind)
      return { kind, limit: limit === undefined ? UNLIMITED : parseLimit(limit) }
    })
}

/** `CDP_BLOCKED_IDENTIFIERS`: "guest, device_id:ffffffff" (a value for every kind, or kind:value). */
export function parseBlockedValues(text: string): Array<{ kind: string | null; value: string }> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':')
      const kind = colon > 0 ? entry.slice(0, colon).trim() : ''
      return isKindName(kind) ? { kind, value: entry.slice(colon + 1) } : { kind: null, value: entry }
    })
}
