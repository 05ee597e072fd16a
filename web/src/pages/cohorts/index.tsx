// Cohorts: their sizes (a chart and a table), each one's members paged by cursor, the classifier
// playground (interests in, cohorts and the model's reasons out), custom cohorts and corrections.
// Creating cohorts and corrections needs an admin key; a read key sees the rest.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { describeError } from '../../api.ts'
import type { PageProps } from '../../router.tsx'
import { useSession } from '../../session.tsx'
import { ErrorBox, formatNumber, formatTime, Loading, useLoad } from '../../ui.tsx'
import { type Classification, type Cohort, type CohortMember, type ConsoleApi, cohortsApi, consoleApi } from './api.ts'
import { SizesChart } from './sizes-chart.tsx'
import './cohorts.css'

const SAMPLE_INTERESTS = 'Tom Brady\nnike running shoes\nsourdough recipes'
const MAX_CORRECTION_COHORTS = 3

export function CohortsPage({ route }: PageProps) {
  const isAdmin = useSession().can('admin')
  return <CohortsView api={consoleApi} isAdmin={isAdmin} selected={route.rest[0] ?? null} />
}

function CohortsView({ api, isAdmin, selected }: { api: ConsoleApi; isAdmin: boolean; selected: string | null }) {
  const cohorts = useMemo(() => cohortsApi(api), [api])
  const list = useLoad(() => cohorts.list(), [cohorts])
  const [current, setCurrent] = useState<string | null>(selected)
  const [correction, setCorrection] = useState<{ interest: string; cohorts: string[] } | null>(null)
  const [corrections, setCorrections] = useState(0)
  const bars = useMemo(() => (list.data ?? []).map((c) => ({ label: c.name, value: c.members })), [list.data])
  const names = (list.data ?? []).map((c) => c.name)
  return (
    <section class="page cohorts" aria-labelledby="cohorts-title">
      <h1 id="cohorts-title">Cohorts</h1>
      <div class="grid2">
        <div class="panel">
          <h2>Sizes</h2>
          <ErrorBox error={list.error} />
          {list.data ? <SizesChart bars={bars} /> : <Loading />}
        </div>
        <div class="panel">
          <h2>Every cohort</h2>
          {list.data ? <CohortTable cohorts={list.data} current={current} onSelect={setCurrent} /> : <Loading />}
        </div>
      </div>
      {current ? <CohortMembers key={current} api={api} cohort={current} /> : null}
      <Playground api={api} isAdmin={isAdmin} onCorrect={setCorrection} />
      <div class="grid2">
        <Corrections api={api} isAdmin={isAdmin} cohortNames={names} draft={correction} onSaved={() => setCorrections((n) => n + 1)} version={corrections} />
        {isAdmin ? <CustomCohortForm api={api} onCreated={list.reload} /> : <ModelPanel api={api} />}
      </div>
    </section>
  )
}

function CohortTable({ cohorts, current, onSelect }: { cohorts: Cohort[]; current: string | null; onSelect(name: string): void }) {
  const largest = Math.max(1, ...cohorts.map((c) => c.members))
  return (
    <table class="cohort-table">
      <caption class="visually-hidden">Cohorts and their member counts</caption>
      <thead>
        <tr>
          <th scope="col">Cohort</th>
          <th scope="col" class="num">
            Members
          </th>
          <th scope="col">
            <span class="visually-hidden">Share of the largest</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {cohorts.map((c) => (
          <tr key={c.name} class={current === c.name ? 'current' : ''}>
            <th scope="row">
              <button type="button" class="link" aria-pressed={current === c.name} title={c.description} onClick={() => onSelect(c.name)}>
                {c.name}
              </button>
            </th>
            <td class="num">{formatNumber(c.members)}</td>
            <td class="bar-cell">
              <div class="bar" style={{ width: `${(c.members / largest) * 100}%` }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** One cohort's members, by cursor (fast at any depth); the cursors seen so far make "Previous" work. */
function CohortMembers({ api, cohort }: { api: ConsoleApi; cohort: string }) {
  const cohorts = useMemo(() => cohortsApi(api), [api])
  const [cursors, setCursors] = useState<Array<string | null>>([null])
  const cursor = cursors[cursors.length - 1] ?? null
  const page = useLoad(() => cohorts.members(cohort, cursor), [cohorts, cohort, cursor])
  return (
    <div class="panel cohort-members">
      <h2>
        Members of {cohort} {page.data ? <span class="muted">({formatNumber(page.data.total)})</span> : null}
      </h2>
      <ErrorBox error={page.error} />
      {page.data ? (
        <>
          {page.data.users.length === 0 ? <p class="muted">No members yet.</p> : <MemberRows members={page.data.users} />}
          <div class="pager">
            <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Previous
            </button>
            <span class="muted">page {cursors.length}</span>
            <button type="button" disabled={!page.data.next_cursor} onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}>
              Next →
            </button>
          </div>
        </>
      ) : (
        <Loading />
      )}
    </div>
  )
}

function MemberRows({ members }: { members: CohortMember[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Profile</th>
          <th scope="col">Email</th>
          <th scope="col">Cookie</th>
          <th scope="col" class="num">
            Score
          </th>
          <th scope="col">Since</th>
        </tr>
      </thead>
      <tbody>
        {members.map((m) => (
          <tr key={m.profile_id}>
            <td>
              <a href={`#/people/${encodeURIComponent(m.profile_id)}`}>
                <code>{m.profile_id}</code>
              </a>
            </td>
            <td>{m.email ?? '–'}</td>
            <td>{m.cookie ?? '–'}</td>
            <td class="num">{m.score.toFixed(2)}</td>
            <td>{formatTime(m.assigned_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Type interests, see their cohorts and why: POST /api/classify with explain, nothing stored. */
function Playground({ api, isAdmin, onCorrect }: { api: ConsoleApi; isAdmin: boolean; onCorrect(draft: { interest: string; cohorts: string[] }): void }) {
  const cohorts = useMemo(() => cohortsApi(api), [api])
  const [text, setText] = useState(SAMPLE_INTERESTS)
  const [result, setResult] = useState<{ model_version: string; results: Classification[] } | null>(null)
  const [error, setError] = useState<string>()
  const interests = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
  const key = JSON.stringify(interests)
  const requests = useRef(0)
  // Classifies as you type (debounced); a newer request aborts the one in flight, so the last answer wins.
  useEffect(() => {
    const list = JSON.parse(key) as string[]
    if (list.length === 0) {
      setResult(null)
      return
    }
    const controller = new AbortController()
    // The first classification goes out at once; later ones wait for a pause in the typing.
    const timer = setTimeout(() => {
      cohorts.classify(list.slice(0, 50), controller.signal).then(
        (r) => {
          setResult(r)
          setError(undefined)
        },
        (e: unknown) => !controller.signal.aborted && setError(describeError(e)),
      )
    }, requests.current++ === 0 ? 0 : 250)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [key, cohorts])
  return (
    <div class="panel playground">
      <h2>Classifier playground</h2>
      <div class="playground-layout">
        <div>
          <label for="playground-interests">Interests, one per line</label>
          <textarea id="playground-interests" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          {result ? <p class="muted">model {result.model_version}</p> : null}
        </div>
        <div aria-live="polite">
          <ErrorBox error={error} />
          <ol class="classifications" data-testid="classifications">
            {(result?.results ?? []).map((r, i) => (
              <li key={`${i}:${r.text}`} data-interest={r.text}>
                <ClassificationView result={r} />
                {isAdmin ? (
                  <button type="button" class="small" onClick={() => onCorrect({ interest: r.text, cohorts: r.cohorts.map((c) => c.name).slice(0, MAX_CORRECTION_COHORTS) })}>
                    Correct “{r.text}”…
                  </button>
                ) : null}
              </li>
            ))}
          </ol>
        </div>
      </div>
    </div>
  )
}

function ClassificationView({ result }: { result: Classification }) {
  const e = result.explanation ?? {}
  return (
    <div class="classification">
      <div>
        <strong>{result.text}</strong> →{' '}
        {result.cohorts.length === 0 ? (
          <span class="muted">no cohort</span>
        ) : (
          result.cohorts.map((c) => (
            <span key={c.name} class="badge ok cohort-badge" data-cohort={c.name}>
              {c.name} {c.score.toFixed(2)}
            </span>
          ))
        )}
        {e.decision ? <span class="muted"> ({e.decision})</span> : null}
      </div>
      <details>
        <summary>Why</summary>
        <dl class="why">
          {e.normalized && e.normalized !== result.text ? (
            <>
              <dt>read as</dt>
              <dd>{e.normalized}</dd>
            </>
          ) : null}
          {e.corrections && e.corrections.length > 0 ? (
            <>
              <dt>spelling</dt>
              <dd>{e.corrections.map((c) => JSON.stringify(c)).join(', ')}</dd>
            </>
          ) : null}
          {e.gazetteer && e.gazetteer.length > 0 ? (
            <>
              <dt>known names</dt>
              <dd>
                {e.gazetteer.map((g) => (
                  <div key={g.alias + g.source}>
                    “{g.alias}” is {g.cohorts.join(' / ')} <span class="muted">({g.whole ? 'the whole text' : 'part of it'}; {g.source})</span>
                  </div>
                ))}
              </dd>
            </>
          ) : null}
          {e.features && e.features.length > 0 ? (
            <>
              <dt>strongest features</dt>
              <dd>
                {e.features.slice(0, 5).map((f) => (
                  <div key={f.feature}>
                    <code>{f.feature}</code> +{f.contribution.toFixed(2)}
                  </div>
                ))}
              </dd>
            </>
          ) : null}
          {e.probabilities ? (
            <>
              <dt>probabilities</dt>
              <dd>
                {e.probabilities.slice(0, 4).map((p) => `${p.label} ${(p.probability * 100).toFixed(1)}%`).join(' · ')}
                {typeof e.threshold === 'number' ? <span class="muted"> (a cohort needs {e.threshold})</span> : null}
              </dd>
            </>
          ) : null}
        </dl>
      </details>
    </div>
  )
}

function Corrections(props: { api: ConsoleApi; isAdmin: boolean; cohortNames: string[]; draft: { interest: string; cohorts: string[] } | null; onSaved(): void; version: number }) {
  const cohorts = useMemo(() => cohortsApi(props.api), [props.api])
  const list = useLoad(() => cohorts.corrections(), [cohorts, props.version])
  const [interest, setInterest] = useState('')
  const [chosen, setChosen] = useState<string[]>([])
  const [message, setMessage] = useState<string>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    if (!props.draft) return
    setInterest(props.draft.interest)
    setChosen(props.draft.cohorts)
    document.getElementById('correction-interest')?.focus()
  }, [props.draft])
  return (
    <div class="panel">
      <h2>Corrections</h2>
      <p class="muted">Say which cohorts an interest belongs to: an override at once, and training data for the next model.</p>
      {props.isAdmin ? (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            cohorts.correct({ interest: interest.trim(), cohorts: chosen }).then(
              (c) => {
                setMessage(`“${c.interest}” is now ${c.cohorts.length === 0 ? 'in no cohort' : c.cohorts.join(', ')}.`)
                setError(undefined)
                props.onSaved()
              },
              (err: unknown) => setError(describeError(err)),
            )
          }}
        >
          <label for="correction-interest">Interest</label>
          <input id="correction-interest" type="text" required maxLength={200} value={interest} onInput={(e) => setInterest(e.currentTarget.value)} />
          <fieldset class="cohort-choices">
            <legend>Its cohorts (up to {MAX_CORRECTION_COHORTS}, best first; none means no cohort)</legend>
            {props.cohortNames.map((name) => (
              <label key={name} class="inline">
                <input
                  type="checkbox"
                  checked={chosen.includes(name)}
                  disabled={!chosen.includes(name) && chosen.length >= MAX_CORRECTION_COHORTS}
                  onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, name] : chosen.filter((c) => c !== name))}
                />{' '}
                {name}
              </label>
            ))}
          </fieldset>
          <div class="actions">
            <button type="submit" class="primary">
              Save correction
            </button>
          </div>
          {message ? <p role="status">{message}</p> : null}
          <ErrorBox error={error} />
        </form>
      ) : null}
      <ErrorBox error={list.error} />
      {list.data && list.data.length === 0 ? <p class="muted">No corrections yet.</p> : null}
      {list.data && list.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Interest</th>
              <th scope="col">Cohorts</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.interest + c.created_at}>
                <td>{c.interest}</td>
                <td>{c.cohorts.length === 0 ? <span class="muted">none</span> : c.cohorts.join(', ')}</td>
                <td>{formatTime(c.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  )
}

const splitList = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')

function CustomCohortForm({ api, onCreated }: { api: ConsoleApi; onCreated(): void }) {
  const cohorts = useMemo(() => cohortsApi(api), [api])
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [terms, setTerms] = useState('')
  const [examples, setExamples] = useState('')
  const [message, setMessage] = useState<string>()
  const [error, setError] = useState<string>()
  const termCount = splitList(terms).length
  return (
    <div class="panel">
      <h2>New custom cohort</h2>
      <p class="muted">It classifies at once through its seed terms; the model retrains with it in the background. The API has no way to delete a cohort.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          cohorts.create({ name: name.trim(), description: description.trim(), terms: splitList(terms), examples: splitList(examples) }).then(
            (c) => {
              setMessage(`Created “${c.name}”; the model is ${c.model.training}.`)
              setError(undefined)
              setName('')
              setDescription('')
              setTerms('')
              setExamples('')
              onCreated()
            },
            (err: unknown) => setError(describeError(err)),
          )
        }}
      >
        <label for="cohort-name">Name</label>
        <input id="cohort-name" type="text" required maxLength={60} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="cohort-description">Description</label>
        <input id="cohort-description" type="text" required maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <label for="cohort-terms">
          Seed terms, one per line or comma-separated <span class="muted">({termCount} of 10–30)</span>
        </label>
        <textarea id="cohort-terms" rows={4} required value={terms} onInput={(e) => setTerms(e.currentTarget.value)} />
        <label for="cohort-examples">Example entities (brands, names, titles), optional</label>
        <textarea id="cohort-examples" rows={2} value={examples} onInput={(e) => setExamples(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="primary">
            Create cohort
          </button>
        </div>
        {message ? <p role="status">{message}</p> : null}
        <ErrorBox error={error} />
      </form>
      <ModelPanel api={api} />
    </div>
  )
}

function ModelPanel({ api }: { api: ConsoleApi }) {
  const model = useLoad(() => cohortsApi(api).model(), [api])
  const m = model.data
  return (
    <div class="model-state">
      <h3>The model</h3>
      <ErrorBox error={model.error} />
      {m ? (
        <p>
          <code>{m.model_version}</code> — {m.up_to_date ? 'up to date with every custom cohort and correction' : `retraining: ${m.training}`}
          {m.last_trained_at ? <span class="muted"> (last trained {formatTime(m.last_trained_at)})</span> : null}
          {m.training_error ? <span class="error"> {m.training_error}</span> : null}{' '}
          <button type="button" class="small" onClick={model.reload}>
            Refresh
          </button>
        </p>
      ) : (
        <Loading />
      )}
    </div>
  )
}
