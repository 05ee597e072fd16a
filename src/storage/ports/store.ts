// Every port at once: what storage/sql implements and what compose.ts hands out, one port per consumer.
import type { AppError } from '../../errors.ts'
import type { ApiKeyStore } from './keys.ts'
import type { CohortStore } from './cohorts.ts'
import type { ConsentReader } from './consent.ts'
import type { EventReader } from './events.ts'
import type { TransactionRunner } from './ingest.ts'
import type { ProfileReader } from './profiles.ts'
import type { RawRecordReader } from './raw.ts'
import type { SegmentStore } from './segments.ts'
import type { StatsReader } from './stats.ts'

export interface Store extends TransactionRunner, ProfileReader, CohortStore, SegmentStore, EventReader, RawRecordReader, ApiKeyStore, ConsentReader, StatsReader {
  /** Which engine holds the data, for /health and logs: no code branches on it (the differences live in storage/sql/dialect/). */
  readonly engine: 'sqlite' | 'postgres'

  /**
   * The AppError (`unavailable`, 503) a failure means when the database cannot serve right now (an
   * outage, a restart, a full disk, a lock held by another process), so a client is told to retry;
   * undefined when the failure is not an outage (a bug).
   */
  describeOutage(error: unknown): AppError | undefined

  /** Refreshes the query planner's statistics; run after bulk loads (PostgreSQL may run without autovacuum). */
  optimize(): Promise<void>

  close(): Promise<void>
}
