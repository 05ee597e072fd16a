// Keeps the planner's statistics current while data grows: PostgreSQL may run without autovacuum
// (the machine the benchmarks ran on does), and a plan chosen on the statistics of an empty
// database stays chosen for a million rows. No SQL here: the keeper only decides when to refresh.

export interface StatisticsKeeperOptions {
  /** Refreshes the statistics (dialect.optimize). */
  refresh: () => Promise<void>
  /** Hears a refresh that failed: a refresh is housekeeping, never a reason to fail a write. */
  log?: (message: string) => void
  /** Rows written before the first refresh, and at least between two. */
  minRows?: number
  /** Rows written between two refreshes at most, however large the tables are. */
  maxRows?: number
}

export interface StatisticsKeeper {
  /** Counts rows a committed transaction wrote; starts a refresh in the background when due. */
  noteWrites(rows: number): void
  /** Resolves when no refresh is running (tests, shutdown). */
  settled(): Promise<void>
}

/**
 * A refresh is due when the rows written since the last one reach the rows written before it (the
 * tables doubled), bounded by `minRows` and `maxRows`: a growing database is refreshed at 10k, 20k,
 * 40k, … and then every 100k rows, so ANALYZE's cost (a sample of each table) stays a small part
 * of the load. Never two at once: rows written during a refresh count towards the next.
 */
export function createStatisticsKeeper(options: StatisticsKeeperOptions): StatisticsKeeper {
  const minRows = options.minRows ?? 10_000
  const maxRows = options.maxRows ?? 100_000
  let before = 0
  let since = 0
  let running: Promise<void> | undefined

  function start(): void {
    before += since
    since = 0
    running = options
      .refresh()
      .catch((error: unknown) => options.log?.(`refreshing planner statistics failed: ${String(error)}`))
      .finally(() => {
        running = undefined
      })
  }

  return {
    noteWrites(rows) {
      since += rows
      if (running === undefined && since >= Math.min(maxRows, Math.max(minRows, before))) start()
    },
    settled: async () => {
      await running
    },
  }
}
