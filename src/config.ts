// The one validated configuration object. No other module reads process.env.
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { DEFAULT_INTEREST_PROPERTIES, type InterestProperty, parseInterestProperties } from './collect/segment-spec.ts'
import { parseAllowedTargets, type WebhookTargetPolicy } from './activation/webhooks/target.ts'
import { DEFAULT_QUALITY_POLICIES, parseQualityPolicies, type QualityPolicies } from './pipeline/validate/quality-policy.ts'
import { consentPurposeKey, DEFAULT_CONSENT_PURPOSES } from './domain/consent.ts'
import { DEFAULT_USER_ID_LIMIT, type IdentitySettings, identitySettings, type IdentifierLimit, parseBlockedValues, parseDeclaredKinds, parseLimit, UNLIMITED } from './domain/identifier-kinds.ts'

// Purposes are named the same way everywhere (domain/consent.ts); re-exported for the config's readers.
export { consentPurposeKey, DEFAULT_CONSENT_PURPOSES }

/** An optional variable read by `parse` once; what `parse` throws becomes the variable's error. */
function parsedText<T>(parse: (text: string) => T) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined
      try {
        return parse(text)
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message })
        return z.NEVER
      }
    })
}

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL; leave it unset for the embedded SQLite store')
    .optional(),
  CDP_DATA_DIR: z.string().min(1).default('./data'),
  CDP_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  CDP_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  CDP_EMAIL_BLOCKLIST: z.string().optional(), // comma-separated extra placeholder emails
  CDP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CDP_DEFAULT_PHONE_COUNTRY: z.string().length(2).default('US'),
  // Event properties read as interests: "EVENT:property" or "*:property", comma-separated.
  CDP_EVENT_INTERESTS: parsedText(parseInterestProperties),
  // Extra SQLite settings, "name=value" separated by semicolons: see parseSqlitePragmas.
  CDP_SQLITE_PRAGMAS: parsedText(parseSqlitePragmas),
  // Webhook receivers inside the network: host names, addresses and CIDR ranges, comma-separated.
  CDP_WEBHOOK_ALLOW_HOSTS: parsedText(parseAllowedTargets),
  CDP_WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false'], { message: 'must be "true" or "false"' }).default('false'),
  // What an invalid optional field costs, per source: "drop_field" or "crm:drop_field,web:reject".
  CDP_QUALITY_POLICY: parsedText(parseQualityPolicies),
  // Consent purposes, comma-separated: what records' `consent` and Segment's categoryPreferences may name.
  CDP_CONSENT_PURPOSES: parsedText(parseConsentPurposes),
  // Identity guardrails: identifiers one person may gather, and when a cookie counts as a shared device.
  // Limits: "unlimited", a count, or a count per window ("5/week"); docs/privacy.md "Identifier kinds".
  CDP_MAX_COOKIES_PER_PERSON: parsedText(parseCookieLimit),
  CDP_MAX_USER_IDS_PER_PERSON: parsedText(parseLimit),
  // Identifier kinds beyond the built-in ones, in priority order, each with its limit: "loyalty_id:1,device_id:5/week".
  CDP_IDENTIFIERS: parsedText(parseDeclaredKinds),
  // Values that name nobody, beyond the defaults: "guest" (every kind) or "device_id:ffff" (one kind).
  CDP_BLOCKED_IDENTIFIERS: parsedText(parseBlockedValues),
  CDP_SHARED_DEVICE_EMAILS: z.coerce.number().int().min(1).default(5),
  // Worker threads preparing large ingest batches; 0 prepares everything on the main thread.
  CDP_INGEST_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  // Retention in days (unset: keep forever); the scheduler purges older rows in small batches.
  CDP_RETENTION_RAW_DAYS: z.coerce.number().int().min(1).optional(),
  CDP_RETENTION_EVENTS_DAYS: z.coerce.number().int().min(1).optional(),
  // Likely matches (docs/identity.md): anonymous profiles on one IP and user agent, suggested, never merged.
  CDP_LIKELY_MATCHES: z.enum(['on', 'off'], { message: 'must be "on" or "off"' }).default('off'),
  CDP_LIKELY_MATCH_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
})

/** "analytics, Marketing Email" → ["analytics", "marketing_email"]: purposes are lower-case words joined by "_". */
export function parseConsentPurposes(text: string): string[] {
  const purposes = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map(consentPurposeKey)
  if (purposes.length === 0) throw new Error('name at least one purpose, e.g. "analytics,marketing_email"')
  for (const p of purposes) if (!/^[a-z0-9_]{1,64}$/.test(p)) throw new Error(`"${p}" is not a purpose name: use letters, digits and "_" (at most 64)`)
  return [...new Set(purposes)]
}

export interface SqlitePragma {
  readonly name: string
  readonly value: string
}

/**
 * "wal_autocheckpoint=4000; cache_size=-262144" → settings for the embedded store's connections.
 * Names and values are checked against a strict pattern, since they are spliced into PRAGMA text.
 */
export function parseSqlitePragmas(text: string): SqlitePragma[] {
  const pragmas: SqlitePragma[] = []
  for (const part of text.split(';')) {
    const item = part.trim()
    if (item === '') continue
    const match = /^([a-z_]+)\s*=\s*(-?[\w.]+)$/i.exec(item)
    if (!match) throw new Error(`"${item}" is not a setting: write name=value (letters, digits, _ . -), separated by ";", e.g. "wal_autocheckpoint=4000"`)
    pragmas.push({ name: (match[1] as string).toLowerCase(), value: match[2] as string })
  }
  return pragmas
}

export interface Config {
  readonly port: number
  readonly host: string
  readonly storage:
    | { readonly kind: 'sqlite'; readonly file: string; readonly pragmas?: readonly SqlitePragma[] }
    | { readonly kind: 'postgres'; readonly url: string }
  readonly dataDir: string
  readonly adminKey: string | undefined
  readonly maxBodyBytes: number
  readonly extraEmailBlocklist: readonly string[]
  readonly logLevel: string
  readonly defaultPhoneCountry: string
  /** Which event properties become interest signals (a viewed product's category). */
  readonly eventInterests: readonly InterestProperty[]
  /** Which local and private webhook targets are reached anyway (by default only public ones). */
  readonly webhookTargets: WebhookTargetPolicy
  /** Per source: reject a record with an invalid optional field (the default), or store it without the field. */
  readonly qualityPolicies: QualityPolicies
  /** The purposes consent is recorded for. */
  readonly consentPurposes: readonly string[]
  /** Identity guardrails (docs/privacy.md). */
  readonly identityLimits: IdentityLimits
  /** Identifier kinds with their priorities, limits and blocked values (GET /api/identity/settings). */
  readonly identity: IdentitySettings
  /** Worker threads that prepare large ingest batches (CDP_INGEST_WORKERS); 0: all on the main thread. */
  readonly ingestWorkers: number
  /** Days to keep raw records and events; undefined keeps them forever. */
  readonly retention: { readonly rawDays: number | undefined; readonly eventsDays: number | undefined }
  /** Likely matches (CDP_LIKELY_MATCHES): when on, IP and user agent are kept per cookie; the window pairs them. */
  readonly likelyMatches: { readonly enabled: boolean; readonly windowMinutes: number }
}

export interface IdentityLimits {
  /** Cookies one person may gather (Infinity: no limit, the default); a further cookie's login is refused (recorded on the merge history). */
  readonly maxCookiesPerPerson: number
  /** A cookie seen with more than this many distinct emails is a shared device. */
  readonly sharedDeviceEmails: number
}

export const DEFAULT_IDENTITY_LIMITS: IdentityLimits = Object.freeze({ maxCookiesPerPerson: Number.POSITIVE_INFINITY, sharedDeviceEmails: 5 })

/** Cookies are counted as the person holds them now, so their limit has no window. */
function parseCookieLimit(text: string): IdentifierLimit {
  const limit = parseLimit(text)
  if (limit.window !== 'ever') throw new Error(`"${text}": the cookie limit is a count ("10" or "unlimited"), not per ${limit.window}`)
  return limit
}

export class ConfigError extends Error {}

/**
 * The demo's configuration (`cdp demo`): its own data dir (./data/demo unless CDP_DATA_DIR is set),
 * quieter request logs, and the demo's local webhook receiver (127.0.0.1) allowed as a webhook target
 * for this process only; the default policy stays closed.
 */
export function loadDemoConfig(env: Record<string, string | undefined> = process.env): Config {
  const allowHosts = [env.CDP_WEBHOOK_ALLOW_HOSTS, '127.0.0.1'].filter(Boolean).join(',')
  return loadConfig({ ...env, CDP_DATA_DIR: env.CDP_DATA_DIR || './data/demo', CDP_LOG_LEVEL: env.CDP_LOG_LEVEL || 'warn', CDP_WEBHOOK_ALLOW_HOSTS: allowHosts })
}

/** Builds the config from the environment (or from overrides in tests); names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')))
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const dataDir = path.resolve(e.CDP_DATA_DIR)
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    storage: e.DATABASE_URL
      ? { kind: 'postgres' as const, url: e.DATABASE_URL }
      : { kind: 'sqlite' as const, file: path.join(dataDir, 'cdp.sqlite'), pragmas: e.CDP_SQLITE_PRAGMAS ?? [] },
    dataDir,
    adminKey: e.CDP_ADMIN_KEY,
    maxBodyBytes: e.CDP_MAX_BODY_BYTES,
    extraEmailBlocklist: (e.CDP_EMAIL_BLOCKLIST ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
    logLevel: e.CDP_LOG_LEVEL,
    defaultPhoneCountry: e.CDP_DEFAULT_PHONE_COUNTRY.toUpperCase(),
    eventInterests: e.CDP_EVENT_INTERESTS ?? DEFAULT_INTEREST_PROPERTIES,
    webhookTargets: Object.freeze({
      allowHosts: e.CDP_WEBHOOK_ALLOW_HOSTS?.hosts ?? [],
      allowNetworks: e.CDP_WEBHOOK_ALLOW_HOSTS?.networks ?? [],
      allowPrivate: e.CDP_WEBHOOK_ALLOW_PRIVATE === 'true',
    }),
    qualityPolicies: e.CDP_QUALITY_POLICY ?? DEFAULT_QUALITY_POLICIES,
    consentPurposes: e.CDP_CONSENT_PURPOSES ?? DEFAULT_CONSENT_PURPOSES,
    identityLimits: Object.freeze({
      maxCookiesPerPerson: e.CDP_MAX_COOKIES_PER_PERSON?.count ?? Number.POSITIVE_INFINITY,
      sharedDeviceEmails: e.CDP_SHARED_DEVICE_EMAILS,
    }),
    identity: identitySettings({
      cookieLimit: e.CDP_MAX_COOKIES_PER_PERSON ?? UNLIMITED,
      userIdLimit: e.CDP_MAX_USER_IDS_PER_PERSON ?? DEFAULT_USER_ID_LIMIT,
      declared: e.CDP_IDENTIFIERS ?? [],
      blocked: e.CDP_BLOCKED_IDENTIFIERS ?? [],
    }),
    // One core stays with the main thread, which resolves identities and writes.
    ingestWorkers: e.CDP_INGEST_WORKERS ?? Math.max(1, os.availableParallelism() - 1),
    retention: Object.freeze({ rawDays: e.CDP_RETENTION_RAW_DAYS, eventsDays: e.CDP_RETENTION_EVENTS_DAYS }),
    likelyMatches: Object.freeze({ enabled: e.CDP_LIKELY_MATCHES === 'on', windowMinutes: e.CDP_LIKELY_MATCH_WINDOW_MINUTES }),
  })
}
