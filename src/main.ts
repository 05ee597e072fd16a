// Composition root: config -> store -> api | cli.
import { Command, InvalidArgumentError } from 'commander'
import { createKeyCommand, listKeysCommand, revokeKeyCommand } from './cli/keys.ts'
import { allowLinkCommand, likelyMatchesCommand, mergeCommand, mergesCommand, type PersonFlags, unmergeCommand } from './cli/user.ts'
import { formatQualityReport, importExitCode, importFile } from './cli/import.ts'
import { type CsvDelimiter, parseCsvDelimiter } from './collect/csv-rows.ts'
import { classifyCommand, evalCommand, reclassifyCommand, trainCommand } from './cli/model.ts'
import { formatReplayResult, replayRejected } from './cli/replay.ts'
import { exportSegmentCommand, listSegmentsCommand, previewSegmentCommand, showSegmentCommand } from './cli/segments.ts'
import { startServer } from './cli/start.ts'
import { eraseCommand, exportCommand, type IdentifierOptions, statusCommand, suppressCommand } from './cli/privacy.ts'
import { ConfigError, loadConfig, loadDemoConfig } from './config.ts'
import { runDemo } from './cli/demo.ts'
import type { BodyFormat } from './domain/types.ts'
import { AppError } from './errors.ts'
import { isQualityPolicy, QUALITY_POLICIES, type QualityPolicy } from './pipeline/validate/quality-policy.ts'

function parseQualityPolicy(value: string): QualityPolicy {
  if (isQualityPolicy(value)) return value
  throw new InvalidArgumentError(`must be ${QUALITY_POLICIES.join(' or ')}`)
}

// `cdp … | head` closes the pipe once it has read enough: that is the reader's choice, not a failure,
// so the command stops quietly instead of printing a stack trace. Any other write error still fails.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

function parseFormat(value: string): BodyFormat {
  if (value === 'csv' || value === 'ndjson' || value === 'json') return value
  throw new InvalidArgumentError('must be csv, ndjson or json')
}

const program = new Command()
  .name('cdp')
  .description('Customer Data Platform: collect, resolve identity, classify into cohorts, serve.')
  .showHelpAfterError()

program
  .command('start')
  .description('start the API server (PORT, HOST, DATABASE_URL, CDP_DATA_DIR configure it)')
  .action(async () => {
    await startServer(loadConfig())
  })

program
  .command('demo')
  .description('start the server on its own data dir (./data/demo) seeded with a demo shop; prints test credentials and example calls (docs/demo.md)')
  .option('--reset', 'delete the demo database and seed it again')
  .option('--seed <n>', 'random seed of the generated shop', parseCount, 1)
  .option('--visitors <n>', 'visitors to generate', parseCount, 20_000)
  .action(async (options: { reset?: boolean; seed: number; visitors: number }) => {
    await runDemo(loadDemoConfig(), options)
  })

program
  .command('import')
  .description('stream a CSV, NDJSON or JSON file of any size through the pipeline, then print a data-quality report')
  .argument('<file>', 'the file to import')
  .option('--source <name>', 'source name stored with each raw record', 'import')
  .option('--format <format>', 'csv, ndjson or json (default: from the file extension)', parseFormat)
  .option('--delimiter <char>', 'CSV delimiter: , ; | or tab (default: read off the header line)', (value: string) => {
    const delimiter = parseCsvDelimiter(value)
    if (!delimiter) throw new InvalidArgumentError('must be , ; | or tab')
    return delimiter
  })
  .option('--report <file>', 'also write the data-quality report as JSON (written even when the file breaks off)')
  .option('--on-invalid <policy>', "reject a record with an invalid optional field, or drop_field to store it without the field (default: the source's CDP_QUALITY_POLICY)", parseQualityPolicy)
  .option('--quiet', 'no progress bar')
  .action(async (file: string, options: { source: string; format?: BodyFormat; delimiter?: CsvDelimiter; report?: string; onInvalid?: QualityPolicy; quiet?: boolean }) => {
    const report = await importFile(loadConfig(), file, options)
    process.stdout.write(formatQualityReport(report))
    process.exitCode = importExitCode(report)
  })

function parseIds(value: string, previous: number[] = []): number[] {
  const ids = value.split(',').map((part) => Number(part.trim()))
  if (ids.some((id) => !Number.isInteger(id) || id < 1)) throw new InvalidArgumentError('must be raw record ids (whole numbers), comma-separated')
  return [...previous, ...ids]
}

program
  .command('replay')
  .description('run rejected raw records through the current rules again, or with a fix (--map, --patch); a fixed record is stored as a corrected copy and its original marked superseded')
  .option('--source <name>', 'only records from this source')
  .option('--reason <reason>', 'only records rejected for this reason, e.g. invalid_email (see GET /api/raw?status=rejected)')
  .option('--id <ids>', 'only these raw record ids (comma-separated, repeatable)', parseIds)
  .option('--map <FROM=TO>', 'move a field before validation, e.g. "E-mail=email" or "Zip=location.zip" (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
  .option('--patch <file>', 'apply an RFC 6902 JSON Patch (a JSON array of operations) to each record, after --map')
  .action(async (options: { source?: string; reason?: string; id?: number[]; map?: string[]; patch?: string }) => {
    const result = await replayRejected(loadConfig(), { source: options.source, reason: options.reason, ids: options.id, map: options.map, patch: options.patch })
    process.stdout.write(formatReplayResult(result))
  })

function parseCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number')
  return n
}

program
  .command('classify')
  .description("classify interests as the server does (the model with the store's custom cohorts and corrections): the arguments, or one per line on stdin; one JSON line each, in order")
  .argument('[interests...]', 'interests to classify (default: read lines from stdin)')
  .option('--explain', 'print why: corrections, gazetteer entries, probabilities, strongest features')
  .action(async (interests: string[], options: { explain?: boolean }) =>
    classifyCommand(loadConfig(), interests, options, { input: process.stdin, output: process.stdout }),
  )

program
  .command('reclassify')
  .description("re-evaluate every profile's cohorts with the current model, custom cohorts and corrections (ingestion may go on)")
  .option('--quiet', 'no progress bar')
  .action(async (options: { quiet?: boolean }) => {
    const result = await reclassifyCommand(loadConfig(), options)
    process.stdout.write(`reclassified ${result.processed} profiles: ${result.changed} cohort memberships changed\n`)
  })

const model = program.command('model').description('train and evaluate the interest model (data/model/)')
model
  .command('train')
  .description('train the interest model on data/model/train.tsv (deterministic); writes model.bin and model.json')
  .option('--out <dir>', 'write there instead of data/model/')
  .option('--epochs <n>', 'training epochs', parseCount)
  .option('--seed <n>', 'random seed', parseCount)
  .action(async (options: { out?: string; epochs?: number; seed?: number }) => trainCommand(options))
model
  .command('eval')
  .description('evaluate the model on the held-out set: accuracy overall, per cohort and per kind, confusion matrix, rejections, speed')
  .option('--heldout <file>', 'a labeled TSV (text, labels, kind) instead of data/model/heldout.tsv')
  .option('--docs', 'also replace the report in docs/model.md')
  .option('--write <file>', 'also write the markdown report to a file')
  .action((options: { heldout?: string; docs?: boolean; write?: string }) => evalCommand(options))

const segments = program.command('segments').description('business segments: list, show, preview and export (create and edit them through the API)')
segments
  .command('list')
  .description('every segment with its version, member count and backfill state')
  .action(async () => listSegmentsCommand(loadConfig(), process.stdout))
segments
  .command('show')
  .description('one segment, by id or name, as JSON')
  .argument('<segment>', 'segment id or name')
  .action(async (segment: string) => showSegmentCommand(loadConfig(), segment, process.stdout))
segments
  .command('preview')
  .description('count the profiles a definition selects now, with a sample; nothing is saved')
  .argument('<definition>', 'a JSON file, or inline JSON: {"all": [{"field": "age", "op": "gte", "value": 30}]}')
  .action(async (definition: string) => previewSegmentCommand(loadConfig(), definition, process.stdout))
segments
  .command('export')
  .description('write every member as NDJSON or CSV to stdout')
  .argument('<segment>', 'segment id or name')
  .option('--format <format>', 'ndjson or csv', (v: string) => {
    if (v !== 'csv' && v !== 'ndjson') throw new InvalidArgumentError('must be csv or ndjson')
    return v
  }, 'ndjson')
  .action(async (segment: string, options: { format: 'csv' | 'ndjson' }) => {
    const count = await exportSegmentCommand(loadConfig(), segment, options, process.stdout)
    process.stderr.write(`exported ${count} members\n`)
  })

const keys = program.command('keys').description('manage API keys')
keys
  .command('create')
  .description('create an API key and print it (shown only once)')
  .requiredOption('--scopes <list>', 'comma-separated: ingest, read, admin')
  .option('--name <name>', 'a label for the key')
  .action(async (options: { scopes: string; name?: string }) => createKeyCommand(loadConfig(), options))
keys
  .command('list')
  .description('list API keys')
  .action(async () => listKeysCommand(loadConfig()))
keys
  .command('revoke')
  .description('revoke an API key by id')
  .argument('<id>')
  .action(async (id: string) => revokeKeyCommand(loadConfig(), id))

const privacy = program.command('privacy').description('erase, export and suppress a person (docs/privacy.md)')
// privacy subcommands: erase, export, suppress, unsuppress, status (cli/privacy.ts)
const personOptions = (command: Command) =>
  command
    .option('--email <email>')
    .option('--cookie <cookie>')
    .option('--profile-id <id>')
    .option('--user-id <id>', 'a Segment userId that is not an email')
    .option('--identifier <kind:value>', 'a person by an identifier of any kind: loyalty_id:L-1001, device_id:D-9')
personOptions(privacy.command('erase').description('erase people everywhere (raw records included) and print the finished job'))
  .option('--file <ids.ndjson>', 'one identifier a line: {"email": "…"}')
  .option('--suppress', 'also refuse their later data')
  .option('--raw-value <value>', 'instead: erase only the raw records carrying exactly this value (a malformed email, say)')
  .action(async (options: IdentifierOptions & { suppress?: boolean }) => eraseCommand(loadConfig(), options, process.stdout))
personOptions(privacy.command('export').description("write everything stored about one person as one JSON document"))
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (options: IdentifierOptions & { out?: string }) => exportCommand(loadConfig(), options, process.stdout))
personOptions(privacy.command('suppress').description('refuse later data carrying these identifiers (nothing is erased)'))
  .option('--file <ids.ndjson>')
  .action(async (options: IdentifierOptions) => suppressCommand(loadConfig(), options, process.stdout))
personOptions(privacy.command('unsuppress').description('accept data carrying these identifiers again'))
  .option('--file <ids.ndjson>')
  .action(async (options: IdentifierOptions) => suppressCommand(loadConfig(), { ...options, remove: true }, process.stdout))
privacy
  .command('status')
  .description('an erasure job: status, counts per table, finished_at')
  .argument('<job-id>')
  .action(async (id: string) => statusCommand(loadConfig(), id, process.stdout))

const user = program.command('user').description("a person's identity: merge history, unmerge, manual merge (docs/privacy.md)")
// user subcommands: merges, unmerge, merge (cli/user.ts)
const personFlags = (command: Command, prefix = '') =>
  command
    .option(`--${prefix}email <email>`, 'the person with this email')
    .option(`--${prefix}cookie <cookie>`, 'the person with this cookie')
    .option(`--${prefix}profile-id <id>`, 'the person with this profile id')
    .option(`--${prefix}user-id <id>`, 'the person with this Segment userId')
    .option(`--${prefix}identifier <kind:value>`, 'the person with an identifier of any kind: phone:+15551234567, loyalty_id:L-1001')
user
  .command('likely-matches')
  .description('anonymous profiles that are probably one person (CDP_LIKELY_MATCHES=on); never merged until you join them')
  .option('--min-confidence <x>', 'from 0 to 1 (default 0.5)', (v: string) => {
    const x = Number(v)
    if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1')
    return x
  })
  .option('--limit <n>', 'at most this many, strongest first (default 50)', parseCount)
  .option('--json', 'print JSON')
  .action(async (options: { minConfidence?: number; limit?: number; json?: boolean }) => likelyMatchesCommand(loadConfig(), options, process.stdout))
personFlags(user.command('merges').description('every merge, move and refusal that shaped the person, oldest first'))
  .option('--json', 'print JSON')
  .action(async (options: PersonFlags & { json?: boolean }) => mergesCommand(loadConfig(), options, process.stdout))
personFlags(user.command('unmerge').description('split a profile back along one merge, or detach one cookie; rebuilt from the raw store'))
  .option('--merge-id <n>', 'the merge to undo (cdp user merges lists them)', parseCount)
  .option('--detach-cookie <cookie>', "detach this cookie from the person's profile")
  .action(async (options: PersonFlags & { mergeId?: number; detachCookie?: string }) => unmergeCommand(loadConfig(), options, process.stdout))
personFlags(personFlags(user.command('merge').description("join two profiles an admin knows are one person: --from-… is absorbed into --into-…"), 'from-'), 'into-').action(
  async (o: { fromEmail?: string; fromCookie?: string; fromProfileId?: string; fromUserId?: string; fromIdentifier?: string; intoEmail?: string; intoCookie?: string; intoProfileId?: string; intoUserId?: string; intoIdentifier?: string }) =>
    mergeCommand(
      loadConfig(),
      {
        from: { email: o.fromEmail, cookie: o.fromCookie, profileId: o.fromProfileId, userId: o.fromUserId, identifier: o.fromIdentifier },
        into: { email: o.intoEmail, cookie: o.intoCookie, profileId: o.intoProfileId, userId: o.intoUserId, identifier: o.intoIdentifier },
      },
      process.stdout,
    ),
)
user
  .command('allow')
  .description('let a refused (cookie, email) link be made again')
  .requiredOption('--cookie <cookie>')
  .requiredOption('--email <email>')
  .action(async (options: { cookie: string; email: string }) => allowLinkCommand(loadConfig(), options, process.stdout))

try {
  await program.parseAsync(process.argv)
} catch (error) {
  // A command-line user gets the message, not a stack trace.
  process.stderr.write(`cdp: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(error instanceof ConfigError || error instanceof AppError ? 2 : 1)
}
