// Likely matches (issue #20, opt-in): each accepted Segment-spec message that names its IP address
// and user agent leaves a device sighting of its cookie, one insert per batch. Only wired when
// CDP_LIKELY_MATCHES is on, so the default path pays nothing; the links themselves are found when
// listed (privacy/likely-matches.ts), never merged here.
import type { DeviceSighting } from '../../domain/likely-match.ts'
import type { LikelyMatchTransaction } from '../../storage/ports/likely-matches.ts'
import type { MessagePart } from '../records.ts'

export function createRecordSightingsStage() {
  return async function recordSightings(tx: LikelyMatchTransaction, messages: ReadonlyMap<number, MessagePart>): Promise<void> {
    const rows: DeviceSighting[] = []
    for (const m of messages.values()) {
      // A cookie derived from a userId is no device; a message without both IP and user agent says too little.
      if (m.keyedByUserId || m.anonymousId === null || !m.device?.ip || !m.device.userAgent) continue
      rows.push({ cookie: m.anonymousId, ip: m.device.ip, userAgent: m.device.userAgent, at: m.at })
    }
    await tx.insertDeviceSightings(rows)
  }
}
