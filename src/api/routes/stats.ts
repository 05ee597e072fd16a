// GET /api/stats: the console's overview. Whole-store counts (profiles, events, raw records, per-day
// series, rejection reasons) are scans on a large store, so they come from a result kept in memory:
// computed at start, and when asked for once it is older than its budget. A cheap result (a small
// store) is recomputed before answering, so it is current; an expensive one is recomputed in the
// background while the request gets the previous result, and may be older (at most MAX_AGE_MS). Cohort
// and segment sizes are maintained counters (cohorts.members, segments.members), read on every request.
import type { FastifyInstance } from 'fastify'
import type { StoreStats } from '../../storage/ports/stats.ts'
import type { RouteContext } from '../app.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'

/** A result that took this long or less is recomputed before answering; a slower one in the background. */
const CHEAP_MS = 50
/** How old a result may be: 1 s, or 100 times what computing it took, at most MAX_AGE_MS. */
const MIN_AGE_MS = 1_000
const MAX_AGE_MS = 60_000
const maxAge = (tookMs: number) => Math.min(MAX_AGE_MS, Math.max(MIN_AGE_MS, tookMs * 100))
const DAY_MS = 86_400_000
const DAYS = 30
const REJECTED_SAMPLE = 10_000

const series = { type: 'array', items: { type: 'object', properties: { day: { type: 'string' }, count: { type: 'integer' } }, required: ['day', 'count'] } } as const
const sizes = {
  type: 'array',
  items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, members: { type: 'integer' } }, required: ['id', 'name', 'members'] },
} as const

export async function statsRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<SchemaRequestTypes>()
  let cached: { stats: StoreStats; at: number; tookMs: number; since: number } | undefined
  let running: Promise<void> | undefined

  const refresh = (): Promise<void> => {
    running ??= (async () => {
      const started = Date.now()
      // Whole days, so a bucket's start is midnight UTC and the chart's last bar is today.
      const since = (Math.floor(started / DAY_MS) - (DAYS - 1)) * DAY_MS
      try {
        const stats = await ctx.store.readStats({ since, bucketMs: DAY_MS, rejectedSample: REJECTED_SAMPLE })
        cached = { stats, at: Date.now(), tookMs: Date.now() - started, since }
      } finally {
        running = undefined
      }
    })()
    return running
  }
  // Warm at start, so the first visitor does not wait for the scans.
  fastify.addHook('onReady', async () => {
    refresh().catch((error: unknown) => fastify.log.warn({ err: error }, 'computing the overview statistics failed'))
  })
  fastify.addHook('onClose', async () => {
    await running?.catch(() => undefined)
  })

  app.get(
    '/api/stats',
    {
      config: { scope: 'read' },
      schema: {
        summary: "The console's overview: profiles, identified share, events and ingests per day, cohort and segment sizes, rejections by reason",
        description: `Store-wide counts come from a cached result (computed_at says when): on a large store it is recomputed in the background and may be up to ${MAX_AGE_MS / 1000} s old. Cohort and segment sizes are current.`,
        response: {
          200: {
            type: 'object',
            properties: {
              profiles: { type: 'integer' },
              identified: { type: 'integer', description: 'profiles with an email' },
              identified_share: { type: 'number' },
              events: { type: 'integer' },
              raw: { type: 'object', properties: { total: { type: 'integer' }, rejected: { type: 'integer' }, superseded: { type: 'integer' } } },
              ingests_by_day: { ...series, description: `raw records received per UTC day, the last ${DAYS} days` },
              events_by_day: { ...series, description: `events per UTC day (their own time), the last ${DAYS} days` },
              rejected_reasons: {
                type: 'array',
                description: `rejected records by reason, among the latest ${REJECTED_SAMPLE}`,
                items: { type: 'object', properties: { reason: { type: 'string' }, count: { type: 'integer' } } },
              },
              cohorts: sizes,
              segments: sizes,
              computed_at: { type: 'string', format: 'date-time' },
              compute_ms: { type: 'integer', description: 'how long the store-wide counts took' },
            },
          },
        },
      },
    },
    async () => {
      if (!cached) await refresh()
      else if (Date.now() - cached.at > maxAge(cached.tookMs)) {
        if (cached.tookMs <= CHEAP_MS) await refresh()
        else refresh().catch((error: unknown) => fastify.log.warn({ err: error }, 'computing the overview statistics failed'))
      }
      const current = cached
      if (!current) throw new Error('statistics missing after a refresh')
      const [cohorts, segments] = await Promise.all([ctx.store.listCohorts(), ctx.store.listSegments()])
      const { stats } = current
      const days = (points: StoreStats['ingests']) => {
        const byStart = new Map(points.map((p) => [p.start, p.count]))
        return Array.from({ length: DAYS }, (_, i) => {
          const start = current.since + i * DAY_MS
          return { day: new Date(start).toISOString().slice(0, 10), count: byStart.get(start) ?? 0 }
        })
      }
      return {
        profiles: stats.profiles,
        identified: stats.identified,
        identified_share: stats.profiles === 0 ? 0 : stats.identified / stats.profiles,
        events: stats.events,
        raw: stats.raw,
        ingests_by_day: days(stats.ingests),
        events_by_day: days(stats.eventsOverTime),
        rejected_reasons: stats.rejectedReasons,
        cohorts: cohorts.map((c) => ({ id: c.id, name: c.name, members: c.members })).sort((a, b) => b.members - a.members),
        segments: segments.map((s) => ({ id: s.id, name: s.name, members: s.members })).sort((a, b) => b.members - a.members),
        computed_at: new Date(current.at).toISOString(),
        compute_ms: current.tookMs,
      }
    },
  )
}
