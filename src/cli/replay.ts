// `cdp replay`: runs rejected raw records through the current rules again, after a fix.
import type { Config } from '../config.ts'
import { openRuntime } from '../runtime.ts'

export async function replayRejected(
  config: Config,
  options: { source?: string; pageSize?: number },
): Promise<{ replayed: number; accepted: number; stillRejected: number }> {
  const runtime = await openRuntime(config)
  const total = { replayed: 0, accepted: 0, stillRejected: 0 }
  try {
    let afterId: number | undefined
    for (;;) {
      const rows = await runtime.store.listRawRecords({ status: 'rejected', source: options.source, limit: options.pageSize ?? 1000, afterId })
      const last = rows[rows.length - 1]
      if (!last) break
      const result = await runtime.pipeline.replay(rows)
      total.replayed += result.replayed
      total.accepted += result.accepted
      total.stillRejected += result.stillRejected
      afterId = last.id
    }
  } finally {
    await runtime.close()
  }
  return total
}
