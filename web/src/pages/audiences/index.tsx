// The audience builder: the segments, a visual editor of the segment language kept in sync with a JSON
// view, a live preview (count and sample) while editing, save as a new segment or a new version, and for
// a saved segment its versions, members, export, webhooks and live stream of entries and exits.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { describeError } from '../../api.ts'
import { href, navigate, type PageProps } from '../../router.tsx'
import { useSession } from '../../session.tsx'
import { ConfirmButton, formatNumber, formatTime } from '../../ui.tsx'
import { type ConsoleApi, cohortsApi, consoleApi } from '../cohorts/api.ts'
import { type Change, type Preview, type Segment, type SegmentMember, type SegmentVersion, segmentsApi, type Webhook } from './api.ts'
import { countLeaves, DEFAULT_CONSENT_PURPOSES, describe, type Json } from './definition.ts'
import { ConditionEditor } from './editor.tsx'
import './audiences.css'

const PREVIEW_DELAY_MS = 300
const STARTER: Json = { all: [{ field: 'age', op: 'between', value: [25, 44] }] }

interface Draft {
  id: string | null
  name: string
  description: string
  conditions: Json
  requiredConsent: string[]
}

const emptyDraft = (): Draft => ({ id: null, name: '', description: '', conditions: STARTER, requiredConsent: [] })
const draftOf = (s: Pick<Segment, 'id' | 'name' | 'description' | 'conditions' | 'required_consent'>): Draft => ({
  id: s.id,
  name: s.name,
  description: s.description,
  conditions: s.conditions,
  requiredConsent: [...s.required_consent],
})
const errorText = describeError

export function AudiencesPage({ route }: PageProps) {
  // Without the admin scope nothing that changes data is shown: a read key previews and reads.
  const isAdmin = useSession().can('admin')
  return <AudienceBuilder api={consoleApi} isAdmin={isAdmin} openId={route.rest[0] ?? null} />
}

function AudienceBuilder({ api, isAdmin, openId }: { api: ConsoleApi; isAdmin: boolean; openId: string | null }) {
  const segments = useMemo(() => segmentsApi(api), [api])
  const [list, setList] = useState<Segment[] | null>(null)
  const [cohortNames, setCohortNames] = useState<string[]>([])
  const [listError, setListError] = useState<string | null>(null)
  const [draft, setDraft] = useState<Draft>(emptyDraft)
  const [saved, setSaved] = useState<Segment | null>(null)
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null)

  const reload = useCallback(async () => {
    try {
      setList(await segments.list())
      setListError(null)
    } catch (error) {
      setListError(errorText(error))
    }
  }, [segments])

  useEffect(() => {
    void reload()
    cohortsApi(api)
      .list()
      .then((cohorts) => setCohortNames(cohorts.map((c) => c.name)))
      .catch((error: unknown) => setListError(errorText(error)))
  }, [api, reload])

  // A saved segment's backfill progress: poll while it is backfilling.
  useEffect(() => {
    if (!saved || saved.state !== 'backfilling') return
    const timer = setTimeout(() => {
      segments
        .get(saved.id)
        .then((s) => {
          setSaved(s)
          if (s.state === 'ready') void reload()
        })
        .catch((error: unknown) => setMessage({ kind: 'error', text: errorText(error) }))
    }, 1000)
    return () => clearTimeout(timer)
  }, [saved, segments, reload])

  const show = (segment: Segment | null) => {
    setDraft(segment ? draftOf(segment) : emptyDraft())
    setSaved(segment)
    setMessage(null)
  }
  // The open segment is in the address (#/audiences/seg_…), so a reload or a shared link reopens it.
  const open = (segment: Segment | null) => {
    show(segment)
    navigate(segment ? href('audiences', segment.id) : href('audiences'))
  }
  useEffect(() => {
    if (openId === null || openId === saved?.id || !list) return
    const segment = list.find((s) => s.id === openId || s.name === openId)
    if (segment) show(segment)
  }, [openId, list])

  async function save() {
    const input = { name: draft.name.trim(), description: draft.description, conditions: draft.conditions, required_consent: draft.requiredConsent }
    try {
      const row = draft.id ? await segments.update(draft.id, input) : await segments.create(input)
      show(row)
      navigate(href('audiences', row.id))
      setMessage({ kind: 'ok', text: `Saved “${row.name}” as version ${row.version} (${row.state === 'ready' ? 'ready' : 'backfilling'}).` })
      await reload()
    } catch (error) {
      setMessage({ kind: 'error', text: errorText(error) })
    }
  }

  async function remove() {
    if (!saved) return
    await segments.remove(saved.id)
    open(null)
    setMessage({ kind: 'ok', text: `Deleted “${saved.name}”.` })
    await reload()
  }

  // Entries and exits change the member count: re-read the segment, at most once a second.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const refreshSaved = useCallback(() => {
    if (refreshTimer.current !== null || !saved) return
    const id = saved.id
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null
      segments.get(id).then(
        (s) => setSaved((current) => (current?.id === id ? s : current)),
        (error: unknown) => setMessage({ kind: 'error', text: errorText(error) }),
      )
      void reload()
    }, 1000)
  }, [saved, segments, reload])
  useEffect(() => () => {
    if (refreshTimer.current !== null) clearTimeout(refreshTimer.current)
  }, [])

  const context = { cohorts: cohortNames, segments: (list ?? []).map((s) => ({ id: s.id, name: s.name })), selfId: draft.id }

  return (
    <section class="page audiences" aria-labelledby="audiences-title">
      <h1 id="audiences-title">Audiences</h1>
      <div class="audiences-layout">
        <nav class="segment-list" aria-label="Segments">
          <button type="button" class={draft.id === null ? 'current' : ''} aria-current={draft.id === null ? 'true' : undefined} onClick={() => open(null)}>
            + New audience
          </button>
          {listError ? <p role="alert" class="error">{listError}</p> : null}
          {list === null ? <p class="muted">Loading…</p> : null}
          <ul>
            {(list ?? []).map((s) => (
              <li key={s.id}>
                <button type="button" class={draft.id === s.id ? 'current' : ''} aria-current={draft.id === s.id ? 'true' : undefined} onClick={() => open(s)}>
                  <span class="segment-name">{s.name}</span> <span class="count">{formatNumber(s.members)}</span>
                  {s.state === 'backfilling' ? <span class="muted"> (backfilling)</span> : null}
                </button>
              </li>
            ))}
          </ul>
        </nav>

        <div class="segment-main">
          <form
            class="segment-form"
            onSubmit={(e) => {
              e.preventDefault()
              if (isAdmin) void save()
            }}
          >
            <div class="form-row">
              <label>
                Name <input type="text" name="name" required maxLength={120} value={draft.name} readOnly={!isAdmin} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
              </label>
              <label>
                Description{' '}
                <input type="text" name="description" maxLength={1000} size={40} value={draft.description} readOnly={!isAdmin} onInput={(e) => setDraft({ ...draft, description: e.currentTarget.value })} />
              </label>
            </div>
            <ConsentPicker value={draft.requiredConsent} onChange={(requiredConsent) => setDraft({ ...draft, requiredConsent })} />
            <div class="editor-and-json">
              <div class="visual">
                <h2>Conditions <span class="muted">({countLeaves(draft.conditions)} conditions)</span></h2>
                <ConditionEditor root={draft.conditions} onChange={(conditions) => setDraft({ ...draft, conditions })} context={context} />
              </div>
              <JsonView value={draft.conditions} onChange={(conditions) => setDraft({ ...draft, conditions })} />
            </div>
            <LivePreview api={api} conditions={draft.conditions} requiredConsent={draft.requiredConsent} isReady={list !== null || listError !== null} />
            {isAdmin ? (
              <div class="actions">
                <button type="submit" class="primary">
                  {draft.id ? `Save as version ${(saved?.version ?? 0) + 1}` : 'Save audience'}
                </button>
                {saved ? (
                  <ConfirmButton label="Delete" title={`Delete “${saved.name}”?`} danger onConfirm={remove}>
                    Its memberships and webhooks go; its versions and change log are kept.
                  </ConfirmButton>
                ) : null}
              </div>
            ) : (
              <p class="muted">This key can read only: previews work, saving needs an admin key.</p>
            )}
            {message ? (
              <p role={message.kind === 'error' ? 'alert' : 'status'} class={message.kind} data-testid="save-message">
                {message.text}
              </p>
            ) : null}
          </form>

          {saved ? (
            <SavedSegment
              key={saved.id}
              onChange={refreshSaved}
              api={api}
              segment={saved}
              isAdmin={isAdmin}
              onLoadVersion={(v) => {
                setDraft({ ...draftOf({ ...v, id: saved.id }) })
                setMessage({ kind: 'ok', text: `Loaded version ${v.version} into the editor; save to make it the current one.` })
              }}
            />
          ) : null}
        </div>
      </div>
    </section>
  )
}

function ConsentPicker({ value, onChange }: { value: string[]; onChange(value: string[]): void }) {
  const purposes = [...new Set([...DEFAULT_CONSENT_PURPOSES, ...value])]
  return (
    <fieldset class="consent-picker">
      <legend>Required consent (members must have granted all of these)</legend>
      {purposes.map((p) => (
        <label key={p} class="inline">
          <input type="checkbox" checked={value.includes(p)} onChange={(e) => onChange(e.currentTarget.checked ? [...value, p] : value.filter((v) => v !== p))} /> {p}
        </label>
      ))}
    </fieldset>
  )
}

/**
 * The definition as JSON, editable. It shows the visual editor's state; what is typed here replaces
 * that state as soon as it parses to an object, and until then the text is kept with the parse error.
 */
function JsonView({ value, onChange }: { value: Json; onChange(value: Json): void }) {
  const formatted = JSON.stringify(value, null, 2)
  const [text, setText] = useState(formatted)
  const [error, setError] = useState<string | null>(null)
  const lastSent = useRef<string>(formatted)
  useEffect(() => {
    // A change from the visual editor (not an echo of what was typed here) rewrites the text.
    if (formatted !== lastSent.current) {
      setText(formatted)
      setError(null)
      lastSent.current = formatted
    }
  }, [formatted])
  return (
    <div class="json-view">
      <h2>
        <label for="definition-json">JSON</label>
      </h2>
      <textarea
        id="definition-json"
        spellcheck={false}
        rows={18}
        value={text}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby="definition-json-error"
        onInput={(e) => {
          const next = e.currentTarget.value
          setText(next)
          try {
            const parsed = JSON.parse(next) as Json
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the definition must be a JSON object')
            setError(null)
            lastSent.current = JSON.stringify(parsed, null, 2)
            onChange(parsed)
          } catch (err) {
            setError(errorText(err))
          }
        }}
      />
      <p id="definition-json-error" class="error" role={error ? 'alert' : undefined}>
        {error ?? ''}
      </p>
    </div>
  )
}

/** Counts what the definition selects while it is edited: debounced, the previous request aborted, the last answer wins. */
function LivePreview(props: { api: ConsoleApi; conditions: Json; requiredConsent: string[]; isReady: boolean }) {
  const { api, conditions, requiredConsent, isReady } = props
  const segments = useMemo(() => segmentsApi(api), [api])
  const [preview, setPreview] = useState<Preview | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [isLoading, setIsLoading] = useState(false)
  const latest = useRef(0)
  const body = JSON.stringify({ conditions, required_consent: requiredConsent })
  // The first count goes out at once; later ones wait for a pause in the typing.
  useEffect(() => {
    // A count can hold the server for a while on a large store: the page's own lists go first.
    if (!isReady) return
    const ticket = ++latest.current
    const controller = new AbortController()
    setIsLoading(true)
    const timer = setTimeout(() => {
      segments
        .preview(JSON.parse(body) as { conditions: Json; required_consent: string[] }, controller.signal)
        .then((result) => {
          if (ticket !== latest.current) return
          setPreview(result)
          setError(null)
        })
        .catch((err: unknown) => {
          if (ticket !== latest.current || controller.signal.aborted) return
          // No count is better than the count of an earlier definition next to this one's error.
          setPreview(null)
          setError(errorText(err))
        })
        .finally(() => {
          if (ticket === latest.current) setIsLoading(false)
        })
    }, ticket === 1 ? 0 : PREVIEW_DELAY_MS)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [body, segments, isReady])
  return (
    <section class="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">
        Live preview {isLoading ? <span class="muted">(counting…)</span> : null}
      </h2>
      {error ? (
        <p role="alert" class="error" data-testid="preview-error">
          {error}
        </p>
      ) : null}
      <p>
        <output aria-live="polite" data-testid="preview-count" data-state={isLoading ? 'loading' : 'done'} class="big-number">
          {preview ? formatNumber(preview.count) : '—'}
        </output>{' '}
        profiles match {preview ? <span class="muted">({preview.took_ms} ms)</span> : null}
      </p>
      <p class="muted definition-summary">{describe(conditions as Json)}</p>
      {preview && preview.sample.length > 0 ? <MemberTable members={preview.sample} caption="A sample of who matches" /> : null}
    </section>
  )
}

const ProfileLink = ({ id }: { id: string }) => (
  <a href={href('people', id)}>
    <code>{id}</code>
  </a>
)

function MemberTable({ members, caption }: { members: SegmentMember[]; caption: string }) {
  return (
    <table class="members">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Profile</th>
          <th scope="col">Email</th>
          <th scope="col">Cookie</th>
          <th scope="col">Entered</th>
        </tr>
      </thead>
      <tbody>
        {members.map((m) => (
          <tr key={m.profile_id}>
            <td>
              <ProfileLink id={m.profile_id} />
            </td>
            <td>{m.email ?? '—'}</td>
            <td>{m.cookie ?? '—'}</td>
            <td>{formatTime(m.entered_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function SavedSegment(props: { api: ConsoleApi; segment: Segment; isAdmin: boolean; onLoadVersion(v: SegmentVersion): void; onChange(): void }) {
  const { api, segment, isAdmin, onLoadVersion, onChange } = props
  const [tab, setTab] = useState<'members' | 'versions' | 'export' | 'webhooks'>('members')
  const tabs = [
    ['members', 'Members'],
    ['versions', 'Versions'],
    ['export', 'Export'],
    ...(isAdmin ? [['webhooks', 'Webhooks']] : []),
  ] as Array<[typeof tab, string]>
  return (
    <section class="saved-segment" aria-labelledby="saved-title">
      <h2 id="saved-title">
        {segment.name} <span class="muted">version {segment.version}</span>{' '}
        <span class="badge" data-testid="segment-state">
          {segment.state === 'ready' ? `${formatNumber(segment.members)} members` : `backfilling ${segment.backfill.percent}%`}
        </span>
      </h2>
      <div class="two-columns">
        <div>
          <div role="tablist" aria-label="Segment details" class="tabs">
            {tabs.map(([id, label]) => (
              <button
                key={id}
                type="button"
                role="tab"
                id={`tab-${id}`}
                aria-selected={tab === id}
                aria-controls={`panel-${id}`}
                onClick={() => setTab(id)}
                onKeyDown={(e) => {
                  // Arrow keys move between tabs, as in the WAI-ARIA tabs pattern.
                  const i = tabs.findIndex(([t]) => t === id)
                  const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
                  if (step === 0) return
                  const next = tabs[(i + step + tabs.length) % tabs.length]
                  if (next) {
                    setTab(next[0])
                    document.getElementById(`tab-${next[0]}`)?.focus()
                  }
                }}
              >
                {label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {tab === 'members' ? <Members api={api} segment={segment} /> : null}
            {tab === 'versions' ? <Versions api={api} segment={segment} onLoad={onLoadVersion} /> : null}
            {tab === 'export' ? <Export api={api} segment={segment} /> : null}
            {tab === 'webhooks' && isAdmin ? <Webhooks api={api} segment={segment} /> : null}
          </div>
        </div>
        <ChangeStream api={api} segment={segment} onChange={onChange} />
      </div>
    </section>
  )
}

function Members({ api, segment }: { api: ConsoleApi; segment: Segment }) {
  const segments = useMemo(() => segmentsApi(api), [api])
  // The cursors of the pages seen so far, so "Previous" can go back without OFFSET.
  const [cursors, setCursors] = useState<Array<string | null>>([null])
  const [page, setPage] = useState<{ total: number; users: SegmentMember[]; next_cursor: string | null } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const cursor = cursors[cursors.length - 1] ?? null
  useEffect(() => {
    segments
      .members(segment.id, cursor)
      .then(setPage)
      .catch((err: unknown) => setError(errorText(err)))
  }, [segments, segment.id, segment.version, segment.members, cursor])
  if (error) return <p role="alert" class="error">{error}</p>
  if (!page) return <p class="muted">Loading…</p>
  return (
    <div>
      <MemberTable members={page.users} caption={`Members, page ${cursors.length} (${formatNumber(page.total)} in all)`} />
      <div class="pager">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Previous
        </button>
        <button type="button" disabled={!page.next_cursor} onClick={() => page.next_cursor && setCursors([...cursors, page.next_cursor])}>
          Next →
        </button>
      </div>
    </div>
  )
}

function Versions({ api, segment, onLoad }: { api: ConsoleApi; segment: Segment; onLoad(v: SegmentVersion): void }) {
  const [versions, setVersions] = useState<SegmentVersion[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    segmentsApi(api)
      .versions(segment.id)
      .then(setVersions)
      .catch((err: unknown) => setError(errorText(err)))
  }, [api, segment.id, segment.version])
  if (error) return <p role="alert" class="error">{error}</p>
  if (!versions) return <p class="muted">Loading…</p>
  return (
    <ol class="versions" reversed>
      {[...versions].reverse().map((v) => (
        <li key={v.version}>
          <strong>Version {v.version}</strong> <span class="muted">{formatTime(v.created_at)}</span> — {describe(v.conditions)}
          {v.required_consent.length > 0 ? <span class="muted"> (consent: {v.required_consent.join(', ')})</span> : null}{' '}
          <button type="button" onClick={() => onLoad(v)}>
            Load into editor
          </button>
        </li>
      ))}
    </ol>
  )
}

function Export({ api, segment }: { api: ConsoleApi; segment: Segment }) {
  const [state, setState] = useState<string | null>(null)
  const download = async (format: 'csv' | 'ndjson') => {
    setState(`Preparing ${format.toUpperCase()}…`)
    try {
      await segmentsApi(api).download(segment.id, segment.name, format)
      setState(`Downloaded ${format.toUpperCase()}.`)
    } catch (err) {
      setState(errorText(err))
    }
  }
  return (
    <div>
      <p>Every member (profile id, email, most recent cookie, entered at), streamed by the server page by page.</p>
      <button type="button" onClick={() => void download('csv')}>
        Download CSV
      </button>{' '}
      <button type="button" onClick={() => void download('ndjson')}>
        Download NDJSON
      </button>
      {state ? <p role="status">{state}</p> : null}
    </div>
  )
}

function Webhooks({ api, segment }: { api: ConsoleApi; segment: Segment }) {
  const segments = useMemo(() => segmentsApi(api), [api])
  const [hooks, setHooks] = useState<Webhook[] | null>(null)
  const [url, setUrl] = useState('')
  const [from, setFrom] = useState<'latest' | 'beginning'>('latest')
  const [secret, setSecret] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(() => {
    segments
      .webhooks(segment.id)
      .then(setHooks)
      .catch((err: unknown) => setError(errorText(err)))
  }, [segments, segment.id])
  useEffect(() => {
    load()
    // Delivery state moves on its own (attempts, backlog): refresh it while the panel is open.
    const timer = setInterval(load, 5000)
    return () => clearInterval(timer)
  }, [load])
  return (
    <div>
      <form
        class="form-row"
        onSubmit={(e) => {
          e.preventDefault()
          segments
            .addWebhook(segment.id, { url, from, required_consent: [] })
            .then((hook) => {
              setSecret(hook.secret)
              setUrl('')
              setError(null)
              load()
            })
            .catch((err: unknown) => setError(errorText(err)))
        }}
      >
        <label>
          URL <input type="url" required size={36} value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://hooks.example.com/cdp" />
        </label>
        <label>
          Send{' '}
          <select value={from} onChange={(e) => setFrom(e.currentTarget.value as 'latest' | 'beginning')}>
            <option value="latest">changes from now on</option>
            <option value="beginning">the whole history</option>
          </select>
        </label>
        <button type="submit">Add webhook</button>
      </form>
      {secret ? (
        <p role="status" class="ok">
          Signing secret (shown only now): <code>{secret}</code>
        </p>
      ) : null}
      {error ? <p role="alert" class="error">{error}</p> : null}
      {hooks && hooks.length === 0 ? <p class="muted">No webhooks.</p> : null}
      {hooks && hooks.length > 0 ? (
        <table>
          <caption>Webhooks and their delivery</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Backlog</th>
              <th scope="col">Last delivered</th>
              <th scope="col">Attempts / error</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hooks.map((h) => (
              <tr key={h.id}>
                <td>{h.url}</td>
                <td>{formatNumber(h.pending_changes)}</td>
                <td>{h.last_delivered_at ? formatTime(h.last_delivered_at) : 'never'}</td>
                <td>
                  {h.attempts > 0 ? `${h.attempts} failed, next ${h.next_attempt_at ? formatTime(h.next_attempt_at) : '—'}: ${h.last_error ?? ''}` : 'ok'}
                </td>
                <td>
                  <ConfirmButton
                    label="Delete"
                    title={`Delete the webhook to ${h.url}?`}
                    danger
                    onConfirm={async () => {
                      await segments.removeWebhook(segment.id, h.id)
                      load()
                    }}
                  >
                    A delivery already in flight still completes.
                  </ConfirmButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  )
}

const MAX_SHOWN_CHANGES = 100

function ChangeStream({ api, segment, onChange }: { api: ConsoleApi; segment: Segment; onChange(): void }) {
  const [changes, setChanges] = useState<Change[]>([])
  const [status, setStatus] = useState<string>('connecting')
  const notify = useRef(onChange)
  notify.current = onChange
  useEffect(() => {
    setChanges([])
    return segmentsApi(api).follow(segment.id, {
      onChange: (change) => {
        setChanges((list) => [change, ...list].slice(0, MAX_SHOWN_CHANGES))
        notify.current()
      },
      onStatus: (s, detail) => setStatus(detail ? `${s}: ${detail}` : s),
    })
  }, [api, segment.id])
  return (
    <section class="change-stream" aria-labelledby="changes-title">
      <h3 id="changes-title">
        Live entries and exits{' '}
        <span class={`badge ${status === 'live' ? 'ok' : ''}`} data-testid="stream-status">
          {status}
        </span>
      </h3>
      {changes.length === 0 ? <p class="muted">Nothing yet: people who enter or leave from now on appear here.</p> : null}
      <ol class="changes" aria-live="polite" data-testid="changes">
        {changes.map((c) => (
          <li key={c.id} class={c.change} data-profile={c.profile_id}>
            <span class="badge">{c.change === 'entered' ? '→ entered' : '← left'}</span> <ProfileLink id={c.profile_id} /> <span class="muted">{new Date(c.at).toLocaleTimeString()}</span>{' '}
            <span class="reason">{c.reason}</span>
          </li>
        ))}
      </ol>
    </section>
  )
}
