// Identity operations (issue #12): merge history, unmerge (rebuilt from the raw store), manual
// merge. Wired in compose.ts; the routes are api/routes/merges.ts.
import type { IngestPipeline } from '../pipeline/run.ts'

export interface IdentityServiceOptions {
  pipeline: IngestPipeline
  log?: (message: string) => void
}

export class IdentityService {
  constructor(readonly options: IdentityServiceOptions) {}
}
