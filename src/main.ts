// Composition root: config -> store -> api | cli.
import { Command, InvalidArgumentError } from 'commander'
import { createKeyCommand, listKeysCommand, revokeKeyCommand } from './cli/keys.ts'
import { formatQualityReport, importFile } from './cli/import.ts'
import { replayRejected } from './cli/replay.ts'
import { startServer } from './cli/start.ts'
import { ConfigError, loadConfig } from './config.ts'
import type { BodyFormat } from './domain/types.ts'
import { AppError } from './errors.ts'

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
  .command('import')
  .description('stream a CSV, NDJSON or JSON file of any size through the pipeline, then print a data-quality report')
  .argument('<file>', 'the file to import')
  .option('--source <name>', 'source name stored with each raw record', 'import')
  .option('--format <format>', 'csv, ndjson or json (default: from the file extension)', parseFormat)
  .option('--report <file>', 'also write the data-quality report as JSON')
  .option('--quiet', 'no progress bar')
  .action(async (file: string, options: { source: string; format?: BodyFormat; report?: string; quiet?: boolean }) => {
    const report = await importFile(loadConfig(), file, options)
    process.stdout.write(formatQualityReport(report))
  })

program
  .command('replay')
  .description('run rejected raw records through the current rules again (after fixing the rules or the configuration)')
  .option('--source <name>', 'only records from this source')
  .action(async (options: { source?: string }) => {
    const result = await replayRejected(loadConfig(), options)
    process.stdout.write(`replayed ${result.replayed} rejected records: ${result.accepted} accepted now, ${result.stillRejected} still rejected\n`)
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

try {
  await program.parseAsync(process.argv)
} catch (error) {
  // A command-line user gets the message, not a stack trace.
  process.stderr.write(`cdp: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(error instanceof ConfigError || error instanceof AppError ? 2 : 1)
}
