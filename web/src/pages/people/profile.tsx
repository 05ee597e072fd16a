// One person: attributes, the identity graph with the merges that joined it, interests and cohorts with
// the model's explanation, segments with their reasons, consent, the latest events. Admin keys also get
// export, erase and unmerge, each behind a confirmation.
import { api, request } from '../../api.ts'
import { href, navigate } from '../../router.tsx'
import { useSession } from '../../session.tsx'
import type { MergeEntry, UserProfile } from '../../types.ts'
import { ConfirmButton, download, ErrorBox, formatTime, Loading, useLoad } from '../../ui.tsx'
import { PERSON_KINDS, type PersonKind, SearchForm } from './search.tsx'

const UNDOABLE = new Set(['email_match', 'email_attached', 'cookie_moved', 'manual'])

const MERGE_WORDS: Record<MergeEntry['reason'], string> = {
  email_attached: 'email attached to a cookie',
  email_match: 'two profiles with one email merged',
  cookie_moved: 'cookie moved to this person',
  identifier_moved: 'identifier moved to this person',
  recomputed: 'recomputed',
  refused: 'link refused',
  manual: 'merged by an admin',
  unmerged: 'unmerged by an admin',
}

function Attributes({ user }: { user: UserProfile }) {
  const rows: Array<[string, unknown]> = [
    ['Profile id', user.profile_id],
    ['Email', user.email],
    ['Phone', user.phone_number],
    ['Location', user.location],
    ...Object.entries(user.demographics).filter(([k]) => k !== 'income_parsed').map(([k, v]): [string, unknown] => [k[0]?.toUpperCase() + k.slice(1), v]),
    ['First seen', formatTime(user.first_seen)],
    ['Last seen', formatTime(user.last_seen)],
  ]
  const traits = Object.entries(user.traits)
  return (
    <div class="panel">
      <h2>Attributes</h2>
      <dl class="attrs">
        {rows.map(([name, value]) => (
          <>
            <dt>{name}</dt>
            <dd>{value === null || value === undefined || value === '' ? <span class="muted">–</span> : String(value)}</dd>
          </>
        ))}
        {traits.map(([name, value]) => (
          <>
            <dt>trait {name}</dt>
            <dd>
              <code>{JSON.stringify(value)}</code>
            </dd>
          </>
        ))}
      </dl>
    </div>
  )
}

function IdentityGraph(props: { user: UserProfile; merges: MergeEntry[]; canUnmerge: boolean; onUnmerged: (survivor: string) => void }) {
  const { user, merges } = props
  const identifiers = user.identifiers ?? []
  return (
    <div class="panel" id="identity">
      <h2>Identity graph</h2>
      <dl class="attrs">
        <dt>Emails</dt>
        <dd>{user.email ?? <span class="muted">none (anonymous)</span>}</dd>
        <dt>Cookies ({user.cookies.length})</dt>
        <dd>
          <ul class="plain" aria-label="Cookies">
            {user.cookies.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </dd>
        <dt>Other identifiers</dt>
        <dd>
          {identifiers.length > 0 ? (
            <ul class="plain" aria-label="Other identifiers">
              {identifiers.map((i) => (
                <li key={`${i.kind}:${i.value}`}>
                  {i.kind.replace(/_/g, ' ')} <code>{i.value}</code>
                </li>
              ))}
            </ul>
          ) : (
            <span class="muted">none</span>
          )}
        </dd>
      </dl>
      <h3>Merges</h3>
      {merges.length === 0 ? (
        <p class="muted">No merges: this profile was never joined with another.</p>
      ) : (
        <ol class="timeline" aria-label="Merge timeline">
          {merges.map((m) => (
            <li key={m.id} class={m.reason}>
              <time dateTime={m.at}>{formatTime(m.at)}</time>
              <strong>{MERGE_WORDS[m.reason]}</strong> <span class="badge">#{m.id}</span>
              <div>
                {m.identifier_kind} <code>{m.identifier ?? '(erased)'}</code>
                {m.absorbed_id ? (
                  <>
                    {' '}
                    · absorbed <code>{m.absorbed_id}</code>
                  </>
                ) : null}
                {m.raw_record ? <span class="muted"> · raw record {m.raw_record.id} from {m.raw_record.source}</span> : null}
                {m.detail && m.reason === 'refused' ? <span class="muted"> · {String(m.detail.rule ?? JSON.stringify(m.detail))}</span> : null}
              </div>
              {props.canUnmerge && UNDOABLE.has(m.reason) ? (
                <ConfirmButton
                  label={`Unmerge #${m.id}`}
                  title={`Unmerge merge #${m.id}?`}
                  confirmLabel="Unmerge"
                  danger
                  onConfirm={async () => {
                    const result = await api.post<{ profiles: Array<{ profile_id: string }> }>('/api/user/unmerge', { merge_id: m.id })
                    props.onUnmerged(result.profiles[0]?.profile_id ?? user.profile_id)
                  }}
                >
                  <p>
                    The profile is split back along this merge ({m.identifier_kind} <code>{m.identifier}</code>): both people are rebuilt from their raw records,
                    and this link is refused from then on.
                  </p>
                </ConfirmButton>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}

function Interests({ user }: { user: UserProfile }) {
  const details = user.cohort_details ?? []
  return (
    <div class="panel">
      <h2>Interests and cohorts</h2>
      <p>
        Interests: {user.interests.length > 0 ? user.interests.map((i) => <span key={i} class="badge">{i}</span>) : <span class="muted">none</span>}
      </p>
      {details.length === 0 ? (
        <p class="muted">In no cohort.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Cohort</th>
              <th class="num">Score</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {details.map((d) => (
              <tr key={d.name}>
                <td>{d.name}</td>
                <td class="num">{d.score.toFixed(2)}</td>
                <td>
                  {d.reason}
                  {d.explanation ? (
                    <details>
                      <summary>The model's explanation</summary>
                      {d.explanation.decision ? <p>{d.explanation.decision}</p> : null}
                      {d.explanation.gazetteer && d.explanation.gazetteer.length > 0 ? (
                        <p>Known entity: {d.explanation.gazetteer.map((g) => `${g.alias} → ${g.cohorts.join(', ')}`).join('; ')}</p>
                      ) : null}
                      {d.explanation.cohorts ? <p>Scores: {d.explanation.cohorts.map((c) => `${c.name} ${c.score.toFixed(2)}`).join(', ')}</p> : null}
                      <pre>{JSON.stringify(d.explanation.strongest_features ?? [], null, 1)}</pre>
                    </details>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function Segments({ user }: { user: UserProfile }) {
  const details = user.segment_details ?? []
  return (
    <div class="panel">
      <h2>Segments</h2>
      {details.length === 0 ? (
        <p class="muted">No saved segments.</p>
      ) : (
        <ul class="plain">
          {details.map((s) => (
            <li key={s.id}>
              <span class={`badge ${s.member ? 'ok' : ''}`}>{s.member ? 'member' : 'not a member'}</span> <strong>{s.name}</strong>
              {s.entered_at ? <span class="muted"> since {formatTime(s.entered_at)}</span> : null}
              <details>
                <summary>Why</summary>
                <pre>{JSON.stringify(s.conditions, null, 1)}</pre>
              </details>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function Consent({ user }: { user: UserProfile }) {
  const purposes = Object.entries(user.consent)
  return (
    <div class="panel">
      <h2>Consent</h2>
      {purposes.length === 0 ? (
        <p class="muted">No consent statements.</p>
      ) : (
        <dl class="attrs">
          {purposes.map(([purpose, state]) => (
            <>
              <dt>{purpose}</dt>
              <dd>
                <span class={`badge ${state.granted ? 'ok' : 'bad'}`}>{state.granted ? 'granted' : 'withdrawn'}</span>{' '}
                <span class="muted">
                  {formatTime(state.at)} via {state.source}
                </span>
              </dd>
            </>
          ))}
        </dl>
      )}
    </div>
  )
}

function Events({ user }: { user: UserProfile }) {
  const events = user.events ?? []
  return (
    <div class="panel">
      <h2>Latest events</h2>
      {user.event_counts.length > 0 ? (
        <p class="muted">{user.event_counts.map((c) => `${c.name} ×${c.count}`).join(' · ')}</p>
      ) : null}
      {events.length === 0 ? (
        <p class="muted">No events.</p>
      ) : (
        <ol class="timeline" aria-label="Events">
          {events.map((e) => (
            <li key={e.id}>
              <time dateTime={e.timestamp}>{formatTime(e.timestamp)}</time>
              <strong>{e.name}</strong> <span class="badge">{e.type}</span>
              {Object.keys(e.properties).length > 0 ? <div class="muted">{JSON.stringify(e.properties).slice(0, 160)}</div> : null}
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}

export function ProfilePage(props: { kind: PersonKind; value: string }) {
  const { can } = useSession()
  const admin = can('admin')
  const loaded = useLoad(
    async (signal) => {
      const query = { [props.kind]: props.value }
      const user = (await api.get<{ user_profile: UserProfile }>('/api/user', { ...query, events: 50, explain: 1 }, signal)).user_profile
      const merges = (await api.get<{ merges: MergeEntry[] }>('/api/user/merges', { profile_id: user.profile_id }, signal)).merges
      return { user, merges }
    },
    [props.kind, props.value],
  )
  const label = PERSON_KINDS.find((k) => k.id === props.kind)?.label ?? props.kind
  const user = loaded.data?.user
  return (
    <section>
      <p>
        <a href={href('people')}>← People</a>
      </p>
      <SearchForm kind={props.kind} value={props.value} />
      <h1>
        {user ? (user.email ?? `Anonymous ${user.profile_id}`) : `${label} ${props.value}`}
      </h1>
      <ErrorBox error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading what="Loading the profile" /> : null}
      {user && loaded.data ? (
        <>
          {admin ? (
            <div class="toolbar" aria-label="Actions">
              <ConfirmButton
                label="Export"
                title="Export everything about this person?"
                confirmLabel="Download"
                onConfirm={async () => {
                  const document = await request<unknown>('/api/user/export', { query: { profile_id: user.profile_id } })
                  download(`${user.profile_id}.json`, JSON.stringify(document, null, 2))
                }}
              >
                <p>One JSON file with the profile, identifiers, cohorts, segments, consent, merges, every event and every raw record about the person.</p>
              </ConfirmButton>
              <ConfirmButton
                label="Erase"
                title="Erase this person everywhere?"
                confirmLabel="Erase"
                danger
                onConfirm={async () => {
                  await api.del('/api/user', { profile_id: user.profile_id })
                  navigate(href('people'))
                }}
              >
                <p>
                  The profile, identifiers, events and raw records of <strong>{user.email ?? user.profile_id}</strong> are deleted. This cannot be undone.
                </p>
              </ConfirmButton>
            </div>
          ) : null}
          <div class="grid2">
            <Attributes user={user} />
            <IdentityGraph
              user={user}
              merges={loaded.data.merges}
              canUnmerge={admin}
              onUnmerged={(survivor) => {
                if (props.kind === 'profile_id' && props.value === survivor) loaded.reload()
                else navigate(href('people', 'profile_id', survivor))
              }}
            />
            <Interests user={user} />
            <Segments user={user} />
            <Consent user={user} />
            <Events user={user} />
          </div>
        </>
      ) : null}
    </section>
  )
}
