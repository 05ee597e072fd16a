// Data: the raw store by status and reason (GET /api/raw), replay of rejected records (POST /api/raw/replay), and a file
// upload (CSV or NDJSON) to POST /api/ingest with a progress bar and the quality report at the end.
import { useRef, useState } from 'preact/hooks'
import { api, describeError, errorFrom, storedKey } from '../api.ts'
import { href, navigate, type PageProps } from '../router.tsx'
import { useSession } from '../session.tsx'
import type { IngestReport } from '../types.ts'
import { ErrorBox, formatNumber, formatTime, Loading, useLoad } from '../ui.tsx'

interface RawRecord {
  id: number
  batch_id: string
  received_at: string
  source: string
  content_type: string
  record_index: number
  status: 'accepted' | 'rejected' | 'superseded'
  superseded_by: number | null
  errors: Array<{ field: string; reason: string; message: string }>
  payload: unknown
}

const STATUSES = ['', 'rejected', 'accepted', 'superseded'] as const

function contentTypeOf(file: File): string | undefined {
  const name = file.name.toLowerCase()
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return 'text/csv'
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'application/x-ndjson'
  if (name.endsWith('.json')) return 'application/json'
  return undefined
}

function Upload() {
  const [file, setFile] = useState<File>()
  const [source, setSource] = useState('console-upload')
  const [progress, setProgress] = useState<{ loaded: number; total: number } | undefined>()
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'processing' | 'done'>('idle')
  const [report, setReport] = useState<IngestReport>()
  const [error, setError] = useState<string>()
  const input = useRef<HTMLInputElement>(null)

  const submit = (event: Event) => {
    event.preventDefault()
    if (!file) return
    const type = contentTypeOf(file)
    if (!type) {
      setError(`"${file.name}": name the file .csv, .ndjson (or .jsonl) or .json so the console knows its format`)
      return
    }
    setError(undefined)
    setReport(undefined)
    setPhase('uploading')
    setProgress({ loaded: 0, total: file.size })
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/api/ingest?source=${encodeURIComponent(source)}`)
    xhr.setRequestHeader('authorization', `Bearer ${storedKey() ?? ''}`)
    xhr.setRequestHeader('content-type', type)
    xhr.upload.onprogress = (e) => setProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size })
    xhr.upload.onload = () => setPhase('processing')
    xhr.onload = async () => {
      setPhase('done')
      if (xhr.status === 200) setReport(JSON.parse(xhr.responseText) as IngestReport)
      else setError((await errorFrom(new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText }))).message)
    }
    xhr.onerror = () => {
      setPhase('done')
      setError('the upload failed: is the server running?')
    }
    xhr.send(file)
  }

  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0
  return (
    <div class="panel">
      <h2>Upload a file</h2>
      <form onSubmit={submit}>
        <div class="row">
          <div>
            <label for="upload-file">CSV or NDJSON file</label>
            <input id="upload-file" ref={input} type="file" accept=".csv,.tsv,.ndjson,.jsonl,.json" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
          </div>
          <div>
            <label for="upload-source">Source</label>
            <input id="upload-source" value={source} pattern="[A-Za-z0-9_.:\-]+" required onInput={(e) => setSource(e.currentTarget.value)} />
          </div>
          <button type="submit" class="primary" disabled={!file || phase === 'uploading' || phase === 'processing'}>
            Upload
          </button>
        </div>
      </form>
      {phase !== 'idle' && progress ? (
        <div>
          <label for="upload-progress">{phase === 'uploading' ? `Uploading ${percent}%` : phase === 'processing' ? 'Processing…' : 'Done'}</label>
          <progress id="upload-progress" max={100} value={phase === 'uploading' ? percent : phase === 'processing' ? undefined : 100} />
        </div>
      ) : null}
      <ErrorBox error={error} />
      {report ? <QualityReport report={report} /> : null}
    </div>
  )
}

function QualityReport({ report }: { report: IngestReport }) {
  const accepted = report.records_processed - report.records_failed
  const reasons = new Map<string, number>()
  for (const e of report.errors) reasons.set(e.reason ?? e.field, (reasons.get(e.reason ?? e.field) ?? 0) + 1)
  return (
    <section aria-labelledby="report-title" class="report">
      <h3 id="report-title">
        Quality report: <span class={`badge ${report.status === 'success' ? 'ok' : report.status === 'failed' ? 'bad' : 'warn'}`}>{report.status}</span>
      </h3>
      <dl class="attrs">
        <dt>Records</dt>
        <dd>{formatNumber(report.records_processed)}</dd>
        <dt>Accepted</dt>
        <dd>{formatNumber(accepted)}</dd>
        <dt>Rejected</dt>
        <dd>{formatNumber(report.records_failed)}</dd>
        <dt>Duplicates</dt>
        <dd>{formatNumber(report.duplicates ?? 0)}</dd>
        <dt>Suppressed</dt>
        <dd>{formatNumber(report.suppressed ?? 0)}</dd>
        <dt>Warnings</dt>
        <dd>{formatNumber(report.warnings?.length ?? 0)}</dd>
        {report.batch_id ? (
          <>
            <dt>Batch</dt>
            <dd>
              <code>{report.batch_id}</code>
            </dd>
          </>
        ) : null}
      </dl>
      {report.errors.length > 0 ? (
        <>
          <p>By reason: {[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}</p>
          <table>
            <thead>
              <tr>
                <th class="num">Record</th>
                <th>Field</th>
                <th>Problem</th>
              </tr>
            </thead>
            <tbody>
              {report.errors.slice(0, 100).map((e, i) => (
                <tr key={i}>
                  <td class="num">{e.record}</td>
                  <td>
                    <code>{e.field}</code>
                  </td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {report.warnings && report.warnings.length > 0 ? (
        <details>
          <summary>{report.warnings.length} warnings</summary>
          <ul>
            {report.warnings.slice(0, 100).map((w, i) => (
              <li key={i}>
                record {w.record}, <code>{w.field}</code>: {w.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  )
}

interface ReplayResult {
  replayed: number
  accepted: number
  still_rejected: number
  next_after_id: number | null
}

/** Replays the rejected records the filter shows (admin keys), and says how to correct them on the way. */
function Replay(props: { source: string; reason: string; command: string; onDone: () => void }) {
  const { can } = useSession()
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<ReplayResult | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)
  const run = async () => {
    setBusy(true)
    setError(undefined)
    try {
      const answer = await api.post<ReplayResult>('/api/raw/replay', { source: props.source || undefined, reason: props.reason || undefined })
      setResult(answer)
      props.onDone()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="notice">
      <strong>Replay.</strong> After fixing the rules or the configuration (a source's quality policy, say), run these rejected records through the pipeline
      again: those that pass now are applied, the rest stay rejected.
      {can('admin') ? (
        <div class="toolbar">
          <button type="button" disabled={busy} onClick={() => void run()}>
            {busy ? 'Replaying…' : `Replay rejected records${props.reason ? ` (${props.reason})` : ''}${props.source ? ` from ${props.source}` : ''}`}
          </button>
        </div>
      ) : null}
      {result ? (
        <p role="status">
          Replayed {formatNumber(result.replayed)}: {formatNumber(result.accepted)} accepted, {formatNumber(result.still_rejected)} still rejected
          {result.next_after_id !== null ? ' (more remain: replay again)' : ''}.
        </p>
      ) : null}
      <ErrorBox error={error} />
      To correct the records on the way, use the command line: <code>{props.command}</code> with <code>--map "E-mail=email"</code> or{' '}
      <code>--patch fix.json</code>; a fixed record is stored as a corrected copy and its original marked superseded.
    </div>
  )
}

function RawRecords(props: { status: string; source: string; reason: string; after: string }) {
  const loaded = useLoad(
    (signal) =>
      api.get<{ records: RawRecord[]; next_after_id: number | null }>(
        '/api/raw',
        // The API filters by status and source; a reason is filtered here, over a larger page.
        { status: props.status || undefined, source: props.source || undefined, after_id: props.after || undefined, limit: props.reason ? 1000 : 50 },
        signal,
      ),
    [props.status, props.source, props.after, props.reason],
  )
  const [status, setStatus] = useState(props.status)
  const [source, setSource] = useState(props.source)
  const [reason, setReason] = useState(props.reason)
  const go = (query: Record<string, string>) => {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''))
    const text = params.toString()
    navigate(`${href('data')}${text ? `?${text}` : ''}`)
  }
  const records = (loaded.data?.records ?? []).filter((r) => !props.reason || r.errors.some((e) => e.reason === props.reason)).slice(0, 50)
  const reasons = [...new Set((loaded.data?.records ?? []).flatMap((r) => r.errors.map((e) => e.reason)))].sort()
  const replay = ['cdp replay', props.source ? `--source ${props.source}` : '', props.reason ? `--reason ${props.reason}` : ''].filter(Boolean).join(' ')
  return (
    <div class="panel">
      <h2>Raw records</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          go({ status, source, reason })
        }}
      >
        <div class="row">
          <div>
            <label for="raw-status">Status</label>
            <select id="raw-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s === '' ? 'all' : s}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="raw-source">Source</label>
            <input id="raw-source" value={source} placeholder="any" onInput={(e) => setSource(e.currentTarget.value)} />
          </div>
          <div>
            <label for="raw-reason">Reason</label>
            <input id="raw-reason" value={reason} list="raw-reasons" placeholder="any" onInput={(e) => setReason(e.currentTarget.value)} />
            <datalist id="raw-reasons">
              {reasons.map((r) => (
                <option key={r} value={r} />
              ))}
            </datalist>
          </div>
          <button type="submit">Show</button>
        </div>
      </form>
      <ErrorBox error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading /> : null}
      {loaded.data ? (
        <>
          <table>
            <thead>
              <tr>
                <th class="num">Id</th>
                <th>Received</th>
                <th>Source</th>
                <th>Status</th>
                <th>Problems</th>
                <th>Payload</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={r.id}>
                  <td class="num">{r.id}</td>
                  <td>{formatTime(r.received_at)}</td>
                  <td>{r.source}</td>
                  <td>
                    <span class={`badge ${r.status === 'accepted' ? 'ok' : r.status === 'rejected' ? 'bad' : ''}`}>{r.status}</span>
                    {r.superseded_by ? <span class="muted"> by {r.superseded_by}</span> : null}
                  </td>
                  <td>
                    {r.errors.map((e, i) => (
                      <div key={i}>
                        <code>{e.reason}</code> {e.message}
                      </div>
                    ))}
                  </td>
                  <td>
                    <code>{JSON.stringify(r.payload).slice(0, 120)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {records.length === 0 ? <p class="muted">No records match.</p> : null}
          <div class="toolbar">
            {props.after ? <button type="button" onClick={() => go({ status: props.status, source: props.source, reason: props.reason })}>First page</button> : null}
            {loaded.data.next_after_id !== null ? (
              <button type="button" onClick={() => go({ status: props.status, source: props.source, reason: props.reason, after: String(loaded.data?.next_after_id) })}>
                Next page
              </button>
            ) : null}
          </div>
          {props.status === 'rejected' ? <Replay source={props.source} reason={props.reason} command={replay} onDone={loaded.reload} /> : null}
        </>
      ) : null}
    </div>
  )
}

export function DataPage({ route }: PageProps) {
  const { can } = useSession()
  const q = route.query
  return (
    <section>
      <h1>Data</h1>
      {can('ingest') ? <Upload /> : <p class="muted">Uploading needs a key with the ingest scope.</p>}
      <RawRecords status={q.get('status') ?? ''} source={q.get('source') ?? ''} reason={q.get('reason') ?? ''} after={q.get('after') ?? ''} />
    </section>
  )
}
