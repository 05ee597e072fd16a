// Overview: the store at a glance, refreshed every 10 s while the tab is visible (GET /api/stats).
import { api } from '../api.ts'
import { BarChart, TimeChart } from '../chart.tsx'
import { href, type PageProps } from '../router.tsx'
import { ErrorBox, formatNumber, formatPercent, formatTime, Loading, useInterval, useLoad } from '../ui.tsx'

export interface Stats {
  profiles: number
  identified: number
  identified_share: number
  events: number
  raw: { total: number; rejected: number; superseded: number }
  ingests_by_day: Array<{ day: string; count: number }>
  events_by_day: Array<{ day: string; count: number }>
  rejected_reasons: Array<{ reason: string; count: number }>
  cohorts: Array<{ id: string; name: string; members: number }>
  segments: Array<{ id: string; name: string; members: number }>
  computed_at: string
  compute_ms: number
}

const REFRESH_MS = 10_000

function Card(props: { label: string; value: string; note?: string }) {
  return (
    <div class="card">
      <div class="label">{props.label}</div>
      <div class="value">{props.value}</div>
      {props.note ? <div class="muted">{props.note}</div> : null}
    </div>
  )
}

export function OverviewPage(_props: PageProps) {
  const stats = useLoad((signal) => api.get<Stats>('/api/stats', undefined, signal), [])
  useInterval(stats.reload, REFRESH_MS)
  const s = stats.data
  if (!s) return <section><h1>Overview</h1>{stats.error ? <ErrorBox error={stats.error} /> : <Loading />}</section>
  const x = s.ingests_by_day.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000)
  const topCohorts = s.cohorts.slice(0, 10)
  const maxSegment = Math.max(1, ...s.segments.map((g) => g.members))
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={stats.error} />
      <div class="cards">
        <Card label="Profiles" value={formatNumber(s.profiles)} />
        <Card label="Identified" value={formatPercent(s.identified_share)} note={`${formatNumber(s.identified)} with an email`} />
        <Card label="Events" value={formatNumber(s.events)} />
        <Card label="Raw records" value={formatNumber(s.raw.total)} note={`${formatNumber(s.raw.rejected)} rejected`} />
      </div>
      <p class="muted" aria-live="polite">
        Counts as of {formatTime(s.computed_at)}; refreshes every {REFRESH_MS / 1000} s while this tab is visible.
      </p>
      <div class="grid2">
        <div class="panel">
          <h2>Events and ingests per day</h2>
          <TimeChart
            title="Events and ingested records per day, the last 30 days"
            x={x}
            series={[
              { label: 'events', values: s.events_by_day.map((d) => d.count) },
              { label: 'records ingested', values: s.ingests_by_day.map((d) => d.count) },
            ]}
          />
        </div>
        <div class="panel">
          <h2>Cohort sizes</h2>
          {topCohorts.length === 0 ? (
            <p class="muted">No cohorts yet.</p>
          ) : (
            <BarChart title={`Members of the ${topCohorts.length} largest cohorts`} labels={topCohorts.map((c) => c.name)} values={topCohorts.map((c) => c.members)} />
          )}
        </div>
        <div class="panel">
          <h2>Segment sizes</h2>
          {s.segments.length === 0 ? (
            <p class="muted">
              No saved segments: build one in <a href={href('audiences')}>Audiences</a>.
            </p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Segment</th>
                  <th class="num">Members</th>
                  <th style="width:40%">
                    <span class="sr-only">Share</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.segments.map((g) => (
                  <tr key={g.id}>
                    <td>
                      <a href={href('audiences', g.id)}>{g.name}</a>
                    </td>
                    <td class="num">{formatNumber(g.members)}</td>
                    <td>
                      <div class="bar" style={{ width: `${(g.members / maxSegment) * 100}%` }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div class="panel">
          <h2>Rejected records by reason</h2>
          {s.rejected_reasons.length === 0 ? (
            <p class="muted">No rejected records.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Reason</th>
                  <th class="num">Records</th>
                </tr>
              </thead>
              <tbody>
                {s.rejected_reasons.map((r) => (
                  <tr key={r.reason}>
                    <td>
                      <a href={`${href('data')}?status=rejected`}>{r.reason}</a>
                    </td>
                    <td class="num">{formatNumber(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  )
}
