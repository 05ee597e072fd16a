// A segment's members as CSV or NDJSON, page by page at any size: for the API and the CLI alike.
import type { SegmentStore } from '../storage/ports/segments.ts'

export type ExportFormat = 'csv' | 'ndjson'

const EXPORT_PAGE = 5_000

function csvCell(value: string | null): string {
  if (value === null) return ''
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** Text chunks (the CSV header, then one chunk per page) with the number of members each holds. */
export async function* exportMembers(store: Pick<SegmentStore, 'listSegmentMembers'>, segmentId: string, format: ExportFormat): AsyncGenerator<{ text: string; members: number }> {
  if (format === 'csv') yield { text: 'profile_id,email,cookie,entered_at\n', members: 0 }
  let after: string | undefined
  for (;;) {
    const page = await store.listSegmentMembers({ segmentId, limit: EXPORT_PAGE, offset: 0, afterProfileId: after })
    if (page.length === 0) return
    const text = page
      .map((m) => {
        const enteredAt = new Date(m.enteredAt).toISOString()
        return format === 'csv'
          ? `${csvCell(m.profileId)},${csvCell(m.email)},${csvCell(m.cookie)},${enteredAt}\n`
          : `${JSON.stringify({ profile_id: m.profileId, email: m.email, cookie: m.cookie, entered_at: enteredAt })}\n`
      })
      .join('')
    yield { text, members: page.length }
    after = page[page.length - 1]?.profileId
    if (page.length < EXPORT_PAGE) return
  }
}
