// The consent history: every accepted record that states consent adds one row per purpose, under
// the profile the record resolved to. The profile's current consent (latest statement per purpose)
// is folded by identity (merge.ts); this is the record of each statement behind it.
import type { ConsentChange } from '../../domain/consent.ts'
import type { ConsentTransaction } from '../../storage/ports/consent.ts'
import type { BatchObservation } from '../identity/resolve-batch.ts'

export function createRecordConsentStage() {
  return async function recordConsent(tx: ConsentTransaction, items: readonly BatchObservation[], resolvedTo: ReadonlyMap<number, string>): Promise<void> {
    const rows: ConsentChange[] = []
    for (const { observation, rawId, source } of items) {
      if (!observation.consent) continue
      const profileId = resolvedTo.get(rawId)
      if (!profileId) continue
      for (const [purpose, granted] of Object.entries(observation.consent)) rows.push({ profileId, purpose, granted, at: observation.observedAt, source, rawId })
    }
    await tx.insertConsentChanges(rows)
  }
}
