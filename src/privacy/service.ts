// Privacy operations (issue #12): erasure jobs with their audit log, the suppression list, the
// access export and retention. Wired in compose.ts; the routes are api/routes/privacy.ts.
import type { Config } from '../config.ts'
import type { ChangeNotifier } from '../activation/notifier.ts'
import type { IngestPipeline } from '../pipeline/run.ts'

export interface PrivacyServiceOptions {
  config: Pick<Config, 'consentPurposes' | 'retention'>
  pipeline: IngestPipeline
  notifier: ChangeNotifier
  /** Run retention purges on a timer (the server does; one-off commands do not). */
  background: boolean
  log?: (message: string) => void
}

export class PrivacyService {
  constructor(readonly options: PrivacyServiceOptions) {}

  async close(): Promise<void> {}
}
