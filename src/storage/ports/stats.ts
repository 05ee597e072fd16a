// Whole-store figures for the console's overview. Each is a scan or an index count, so callers cache
// them (api/routes/stats.ts recomputes in the background) instead of asking per request.

export interface StoreStats {
  profiles: number
  /** Profiles with an email. */
  identified: number
  events: number
  raw: { total: number; rejected: number; superseded: number }
  /** Raw records received per bucket since `since` (bucket start, count), oldest first. */
  ingests: Array<{ start: number; count: number }>
  /** Events that happened per bucket since `since`, oldest first. */
  eventsOverTime: Array<{ start: number; count: number }>
  /** Rejected records by reason, among the latest `rejectedSample` of them; most frequent first. */
  rejectedReasons: Array<{ reason: string; count: number }>
}

export interface StatsReader {
  readStats(input: { since: number; bucketMs: number; rejectedSample: number }): Promise<StoreStats>
}
