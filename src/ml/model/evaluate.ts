// Evaluation on a held-out labeled set: top-1 accuracy overall, per cohort and per kind, the confusion
// matrix, none rejection and false rejection, plus speed and size figures, as data and as markdown.
import fs from 'node:fs'
import type { InterestClassifier } from '../../domain/types.ts'
import { MODEL_DIR } from './cohorts.ts'
import { readItems, ITEM_KINDS, type ItemKind } from './corpus.ts'
import { readGazetteer } from './gazetteer.ts'
import { normalizeText } from './text.ts'

export interface Rate {
  correct: number
  total: number
}

export interface EvalReport {
  version: string
  items: number
  /** Top-1 on items that have a cohort (an acceptable alternative label counts). */
  cohortTop1: Rate
  perCohort: Record<string, Rate>
  perKind: Record<string, Rate>
  /** Entities split by whether their text is a gazetteer alias (known) or not (generalization). */
  entitiesInGazetteer: Rate
  entitiesNotInGazetteer: Rate
  noneRejected: Rate
  falseRejected: Rate
  /** expected → predicted ("none" for no cohort) → count */
  confusion: Record<string, Record<string, number>>
  errors: { text: string; expected: string; got: string; kind: ItemKind }[]
  performance?: { loadMs: number; cachedPerSecond: number; uncachedPerSecond: number }
  files?: { name: string; bytes: number }[]
}

const rate = (): Rate => ({ correct: 0, total: 0 })
const percent = (r: Rate) => (r.total === 0 ? 'n/a' : `${((100 * r.correct) / r.total).toFixed(1)}%`)

export function evaluateModel(classifier: InterestClassifier, heldOutPath: string | URL = new URL('heldout.tsv', MODEL_DIR)): EvalReport {
  const items = readItems(heldOutPath)
  const idOf = new Map(classifier.cohorts().map((c) => [c.name, c.id]))
  const { gazetteer } = readGazetteer(new URL('gazetteer/', MODEL_DIR), [...idOf.values()])
  const report: EvalReport = {
    version: classifier.version,
    items: items.length,
    cohortTop1: rate(),
    perCohort: {},
    perKind: Object.fromEntries(ITEM_KINDS.map((k) => [k, rate()])),
    entitiesInGazetteer: rate(),
    entitiesNotInGazetteer: rate(),
    noneRejected: rate(),
    falseRejected: rate(),
    confusion: {},
    errors: [],
  }
  for (const item of items) {
    const result = classifier.classify(item.text)
    const expected = item.labels[0] as string
    const got = result[0] ? (idOf.get(result[0].cohort) ?? result[0].cohort) : 'none'
    const isNone = expected === 'none'
    const correct = isNone ? got === 'none' : item.labels.includes(got)
    const row = (report.confusion[expected] ??= {})
    row[got] = (row[got] ?? 0) + 1
    const kind = report.perKind[item.kind] as Rate
    kind.total++
    if (correct) kind.correct++
    if (isNone) {
      report.noneRejected.total++
      if (got === 'none') report.noneRejected.correct++
    } else {
      report.cohortTop1.total++
      if (correct) report.cohortTop1.correct++
      const cohort = (report.perCohort[expected] ??= rate())
      cohort.total++
      if (correct) cohort.correct++
      report.falseRejected.total++
      if (got === 'none') report.falseRejected.correct++
      if (item.kind === 'entity') {
        const bucket = gazetteer.entries.has(normalizeText(item.text)) ? report.entitiesInGazetteer : report.entitiesNotInGazetteer
        bucket.total++
        if (correct) bucket.correct++
      }
    }
    if (!correct) report.errors.push({ text: item.text, expected: item.labels.join('|'), got, kind: item.kind })
  }
  return report
}

/** Loads `load()` and measures load time and throughput over the held-out texts. */
export function measurePerformance(load: () => InterestClassifier, texts: readonly string[]): NonNullable<EvalReport['performance']> {
  const t0 = performance.now()
  load()
  const loadMs = performance.now() - t0
  // Uncached: a cache of size 1 and texts made unique, so every call does the full work.
  const uncached = load()
  const unique = texts.map((t, i) => `${t} ${i % 2 === 0 ? '' : 'x'}`.trim())
  const t1 = performance.now()
  let n = 0
  while (performance.now() - t1 < 1500) for (const t of unique) {
    uncached.classify(`${t} ${n++}`)
  }
  const uncachedPerSecond = n / ((performance.now() - t1) / 1000)
  const cached = load()
  for (const t of texts) cached.classify(t)
  const t2 = performance.now()
  let m = 0
  while (performance.now() - t2 < 1000) for (const t of texts) {
    cached.classify(t)
    m++
  }
  return { loadMs, cachedPerSecond: m / ((performance.now() - t2) / 1000), uncachedPerSecond }
}

export function modelFiles(dir: URL = MODEL_DIR): { name: string; bytes: number }[] {
  const out: { name: string; bytes: number }[] = []
  for (const name of ['vectors.bin', 'model.bin', 'model.json', 'cohorts.json']) out.push({ name, bytes: fs.statSync(new URL(name, dir)).size })
  let gazetteerBytes = 0
  for (const f of fs.readdirSync(new URL('gazetteer/', dir))) gazetteerBytes += fs.statSync(new URL(`gazetteer/${f}`, dir)).size
  out.push({ name: 'gazetteer/*.txt', bytes: gazetteerBytes })
  return out
}

export function formatEvalReport(report: EvalReport, names: ReadonlyMap<string, string> = new Map()): string {
  const label = (id: string) => names.get(id) ?? id.replace(/^coh_/, '')
  const lines: string[] = []
  lines.push(`Model \`${report.version}\` on ${report.items} held-out items.`, '')
  lines.push('| measure | result |', '|---|---|')
  lines.push(`| top-1 on cohort items (acceptable second label counts) | ${percent(report.cohortTop1)} (${report.cohortTop1.correct}/${report.cohortTop1.total}) |`)
  for (const kind of ITEM_KINDS) {
    const r = report.perKind[kind] as Rate
    lines.push(`| ${kind} items${kind === 'none' ? ' (rejected)' : ''} | ${percent(r)} (${r.correct}/${r.total}) |`)
  }
  lines.push(`| entities that are gazetteer aliases | ${percent(report.entitiesInGazetteer)} (${report.entitiesInGazetteer.correct}/${report.entitiesInGazetteer.total}) |`)
  lines.push(`| entities not in the gazetteer | ${percent(report.entitiesNotInGazetteer)} (${report.entitiesNotInGazetteer.correct}/${report.entitiesNotInGazetteer.total}) |`)
  lines.push(`| none items rejected | ${percent(report.noneRejected)} (${report.noneRejected.correct}/${report.noneRejected.total}) |`)
  lines.push(`| real interests wrongly rejected | ${percent(report.falseRejected)} (${report.falseRejected.correct}/${report.falseRejected.total}) |`)
  if (report.performance) {
    lines.push(`| model load | ${report.performance.loadMs.toFixed(0)} ms |`)
    lines.push(`| classifications/s, cached | ${Math.round(report.performance.cachedPerSecond).toLocaleString('en-US')} |`)
    lines.push(`| classifications/s, uncached | ${Math.round(report.performance.uncachedPerSecond).toLocaleString('en-US')} |`)
  }
  if (report.files) {
    const total = report.files.reduce((s, f) => s + f.bytes, 0)
    lines.push(`| model files | ${report.files.map((f) => `${f.name} ${(f.bytes / 1e6).toFixed(2)} MB`).join(', ')}; total ${(total / 1e6).toFixed(1)} MB |`)
  }
  lines.push('', '### Per cohort', '', '| cohort | top-1 |', '|---|---|')
  for (const [id, r] of Object.entries(report.perCohort).sort()) lines.push(`| ${label(id)} | ${percent(r)} (${r.correct}/${r.total}) |`)
  const columns = [...Object.keys(report.perCohort).sort(), 'none']
  lines.push('', '### Confusion matrix', '', 'Rows: expected; columns: predicted top-1 (none = no cohort).', '')
  lines.push(`| | ${columns.map(label).join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`)
  for (const expected of columns) {
    const row = report.confusion[expected] ?? {}
    lines.push(`| **${label(expected)}** | ${columns.map((c) => (row[c] ? String(row[c]) : '·')).join(' | ')} |`)
  }
  lines.push('', `### Errors (${report.errors.length})`, '', '| text | kind | expected | got |', '|---|---|---|---|')
  for (const e of report.errors) lines.push(`| ${e.text} | ${e.kind} | ${e.expected.split('|').map(label).join(' / ')} | ${label(e.got)} |`)
  return `${lines.join('\n')}\n`
}
