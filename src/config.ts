// The one validated configuration object. No other module reads process.env.
import path from 'node:path'
import { z } from 'zod'
import { DEFAULT_INTEREST_PROPERTIES, type InterestProperty, parseInterestProperties } from './collect/segment-spec.ts'
import { parseAllowedTargets, type WebhookTargetPolicy } from './activation/webhooks/target.ts'
import { DEFAULT_QUALITY_POLICIES, parseQualityPolicies, type QualityPolicies } from './pipeline/validate/quality-policy.ts'

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
})

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
}

export class ConfigError extends Error {}

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
  })
}
