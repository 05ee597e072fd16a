// One ingest transaction: everything the pipeline's stages read and write, in one unit of work.
// Each stage takes only the part it uses.
import type { ConsentTransaction } from './consent.ts'
import type { IdentityTransaction } from './identity.ts'
import type { LikelyMatchTransaction } from './likely-matches.ts'
import type { MembershipTransaction } from './cohorts.ts'
import type { EventTransaction } from './events.ts'
import type { RawRecordWriter } from './raw.ts'
import type { SegmentTransaction } from './segments.ts'

export interface IngestTransaction extends RawRecordWriter, IdentityTransaction, MembershipTransaction, EventTransaction, SegmentTransaction, ConsentTransaction, LikelyMatchTransaction {}

export interface TransactionRunner {
  /**
   * Whether batches should wait for a running transaction and go in together (group commit): true
   * where the database has one writer (SQLite), so waiting costs nothing and one commit writes each
   * touched page once; false where concurrent transactions each make progress (PostgreSQL).
   */
  readonly groupCommit: boolean
  /** Runs `work` in one transaction, retrying it when a concurrent writer got there first. */
  ingestTransaction<T>(work: (tx: IngestTransaction) => Promise<T>): Promise<T>
  /**
   * Whether a query failed on a stored value the database cannot read (SQLite: JSON past its depth
   * limit; PostgreSQL: a data exception, such as \u0000 in text cast to jsonb), not on the database
   * itself: the row is at fault, and skipping it lets a walk over all rows go on.
   */
  isUnreadableValue(error: unknown): boolean
}
