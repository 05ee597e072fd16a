// Likely matches: anonymous profiles seen on one IP address with one user agent, close in time
// (GET /api/user/likely-matches, CDP_LIKELY_MATCHES). Nothing is merged until an admin joins a pair
// here, through the same manual merge as `cdp user merge` (POST /api/user/merge). Admin keys only.
import { useState } from 'preact/hooks'
import { api } from '../api.ts'
import { href, type PageProps } from '../router.tsx'
import { ConfirmButton, ErrorBox, formatNumber, formatTime, Loading, useLoad } from '../ui.tsx'

interface Side {
  profile_id: string
  cookies: string[]
}

interface LikelyMatch {
  profile_ids: [string, string]
  confidence: number
  profiles: [Side, Side]
  evidence: { count: number; first_at: string; last_at: string; ip: string; user_agent: string; co_occurrences: Array<{ others_same_user_agent: number; others_same_ip: number; gap_seconds: number }> }
}

interface Listing {
  enabled: boolean
  window_minutes: number
  total: number
  likely_matches: LikelyMatch[]
}

const PAGE = 50

function SideCell(props: { side: Side }) {
  return (
    <td>
      <a href={href('people', props.side.profile_id)}>
        <code>{props.side.profile_id}</code>
      </a>
      <ul class="plain" aria-label={`Cookies of ${props.side.profile_id}`}>
        {props.side.cookies.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
    </td>
  )
}

export function LikelyMatchesPage(_props: PageProps) {
  const [minConfidence, setMinConfidence] = useState('0.5')
  const [offset, setOffset] = useState(0)
  const [joined, setJoined] = useState<string>()
  const listing = useLoad(
    (signal) => api.get<Listing>('/api/user/likely-matches', { min_confidence: minConfidence, limit: PAGE, offset }, signal),
    [minConfidence, offset],
  )
  const data = listing.data
  return (
    <section>
      <h1>Likely matches</h1>
      <p class="muted">
        Anonymous profiles seen on the same IP address with the same browser, close in time: probably one person on one device. They are never merged
        automatically; join a pair when you are sure.
      </p>
      <div class="panel">
        <form class="row" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label for="min-confidence">Minimum confidence</label>
            <input
              id="min-confidence"
              type="number"
              min="0"
              max="1"
              step="0.05"
              value={minConfidence}
              onChange={(e) => {
                setOffset(0)
                setMinConfidence(e.currentTarget.value)
              }}
            />
          </div>
        </form>
        {data && !data.enabled ? (
          <p role="note">
            Likely matches are off: set <code>CDP_LIKELY_MATCHES=on</code> to keep IP addresses and user agents and find them.
          </p>
        ) : null}
        {joined ? <p role="status">{joined}</p> : null}
        <ErrorBox error={listing.error} />
        {!data ? (
          <Loading />
        ) : data.likely_matches.length === 0 ? (
          <p class="muted">No likely matches at this confidence.</p>
        ) : (
          <>
            <table aria-label="Likely matches">
              <thead>
                <tr>
                  <th>Confidence</th>
                  <th>Profile</th>
                  <th>Profile</th>
                  <th>Evidence</th>
                  <th>
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.likely_matches.map((m) => {
                  const [a, b] = m.profiles
                  const strongest = m.evidence.co_occurrences[0]
                  return (
                    <tr key={m.profile_ids.join(' ')}>
                      <td>{(m.confidence * 100).toFixed(0)}%</td>
                      <SideCell side={a} />
                      <SideCell side={b} />
                      <td>
                        {formatNumber(m.evidence.count)} time{m.evidence.count === 1 ? '' : 's'} together on <code>{m.evidence.ip}</code>, {formatTime(m.evidence.first_at)}
                        {m.evidence.count > 1 ? ` – ${formatTime(m.evidence.last_at)}` : ''}
                        <br />
                        <span class="muted" title={m.evidence.user_agent}>
                          {m.evidence.user_agent.slice(0, 60)}
                          {m.evidence.user_agent.length > 60 ? '…' : ''}
                          {strongest ? ` · ${strongest.others_same_ip} other profile${strongest.others_same_ip === 1 ? '' : 's'} on this address then` : ''}
                        </span>
                      </td>
                      <td>
                        <ConfirmButton
                          label="Join"
                          accessibleName={`Join ${b.profile_id} into ${a.profile_id}`}
                          title="Join these two profiles?"
                          confirmLabel="Join"
                          onConfirm={async () => {
                            const result = await api.post<{ merge_id: number; profile: { profile_id: string } }>('/api/user/merge', { from: { profile_id: b.profile_id }, into: { profile_id: a.profile_id } })
                            setJoined(`Joined ${b.profile_id} into ${result.profile.profile_id} (merge #${result.merge_id}); it can be undone from the profile page.`)
                            listing.reload()
                          }}
                        >
                          <p>
                            <code>{b.profile_id}</code> is absorbed into <code>{a.profile_id}</code>, as <code>cdp user merge</code> does. The merge is recorded and
                            can be undone from the profile's merge timeline.
                          </p>
                        </ConfirmButton>
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
            <div class="row">
              <span class="muted">
                {formatNumber(offset + 1)}–{formatNumber(offset + data.likely_matches.length)} of {formatNumber(data.total)}
              </span>
              <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                Previous
              </button>
              <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
                Next
              </button>
            </div>
          </>
        )}
      </div>
    </section>
  )
}
