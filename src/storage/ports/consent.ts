// The consent history: written by the ingest transaction (pipeline/consent/stage.ts), read by
// GET /api/user. The latest statement per purpose lives on the profile itself (profiles.consent).
import type { ConsentChange } from '../../domain/consent.ts'

/** The consent half of an ingest transaction. */
export interface ConsentTransaction {
  /** Appends statements as they were made; an absorbed profile's rows are repointed by saveResolution. */
  insertConsentChanges(rows: readonly ConsentChange[]): Promise<void>
}

export interface ConsentReader {
  /** Every statement about the profile, newest first (by observation time). */
  listConsentChanges(profileId: string): Promise<ConsentChange[]>
}
