// Opens what every entry point needs: the store (migrated), the classifier, the ingest pipeline.
import type { Config } from './config.ts'
import type { InterestClassifier } from './domain/types.ts'
import { IngestPipeline } from './pipeline/run.ts'
import { DEFAULT_EMAIL_BLOCKLIST } from './pipeline/validate/index.ts'
import { openDatabase } from './storage/sql/open.ts'
import { createSqlStore } from './storage/sql/sql-store.ts'
import type { Store } from './storage/store.ts'
import type { CountryCode } from 'libphonenumber-js'

export interface Runtime {
  config: Config
  store: Store
  pipeline: IngestPipeline
  close(): Promise<void>
}

export async function openRuntime(config: Config, options: { classifier?: InterestClassifier } = {}): Promise<Runtime> {
  const database = await openDatabase(config)
  const store = createSqlStore(database)
  // Loaded only when not injected: the default classifier reads its model files at load.
  const classifier = options.classifier ?? (await import('./ml/default-classifier.ts')).loadDefaultClassifier()
  const pipeline = new IngestPipeline({
    store,
    classifier,
    validate: {
      emailBlocklist: new Set([...DEFAULT_EMAIL_BLOCKLIST, ...config.extraEmailBlocklist]),
      defaultPhoneCountry: config.defaultPhoneCountry as CountryCode,
    },
  })
  await pipeline.syncCohorts()
  return { config, store, pipeline, close: () => store.close() }
}
