// `cdp classify`, `cdp model train|eval` and `cdp reclassify`.
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { pathToFileURL } from 'node:url'
import cliProgress from 'cli-progress'
import type { Config } from '../config.ts'
import type { ModelClassifier } from '../ml/model/index.ts'
import { evaluateModel, formatEvalReport, loadModelClassifier, measurePerformance, modelFiles, readItems, trainModel } from '../ml/model/index.ts'
import { MODEL_DIR } from '../ml/model/cohorts.ts'
import { openRuntime } from '../compose.ts'

const EVAL_START = '<!-- eval:start -->'
const EVAL_END = '<!-- eval:end -->'

function classifyLine(classifier: ModelClassifier, text: string, explain: boolean): string {
  if (explain) return JSON.stringify(classifier.explain(text))
  return JSON.stringify({ text, cohorts: classifier.classify(text).map((c) => ({ name: c.cohort, score: c.score })) })
}

/**
 * One JSON line per interest, in order: the arguments, or else every line of `input`. The classifier
 * is the server's (the store's custom cohorts and corrections over the model), so the command line
 * and POST /api/classify always agree.
 */
export async function classifyCommand(
  config: Config,
  texts: string[],
  options: { explain?: boolean },
  streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream },
): Promise<void> {
  const runtime = await openRuntime(config)
  try {
    await classifyAll(runtime.cohorts.classifier, texts, options.explain === true, streams)
  } finally {
    await runtime.close()
  }
}

async function classifyAll(
  classifier: ModelClassifier,
  texts: string[],
  explain: boolean,
  { input, output }: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream },
): Promise<void> {
  if (texts.length > 0) {
    output.write(texts.map((t) => `${classifyLine(classifier, t, explain)}\n`).join(''))
    return
  }
  // Batched writes: one write per line would make a million-line file take minutes on a pipe.
  let pending: string[] = []
  const flush = async () => {
    if (pending.length === 0) return
    const chunk = pending.join('')
    pending = []
    if (!output.write(chunk)) await new Promise((resolve) => output.once('drain', resolve))
  }
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    pending.push(`${classifyLine(classifier, line, explain)}\n`)
    if (pending.length >= 1000) await flush()
  }
  await flush()
}

export async function trainCommand(options: { out?: string; epochs?: number; seed?: number }): Promise<void> {
  const outDir = options.out ? pathToFileURL(`${path.resolve(options.out)}/`) : MODEL_DIR
  const report = await trainModel({ outDir, epochs: options.epochs, seed: options.seed, log: (line) => process.stderr.write(`${line}\n`) })
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
}

export function evalCommand(options: { heldout?: string; docs?: boolean; write?: string }): void {
  const heldOut = options.heldout ? path.resolve(options.heldout) : new URL('heldout.tsv', MODEL_DIR)
  const classifier = loadModelClassifier()
  const report = evaluateModel(classifier, heldOut)
  report.performance = measurePerformance(() => loadModelClassifier(), readItems(heldOut).map((i) => i.text))
  report.files = modelFiles()
  const markdown = formatEvalReport(report, new Map(classifier.cohorts().map((c) => [c.id, c.name])))
  if (options.write) fs.writeFileSync(options.write, markdown)
  if (options.docs) {
    const docs = new URL('../../docs/model.md', import.meta.url)
    const text = fs.readFileSync(docs, 'utf8')
    if (!text.includes(EVAL_START) || !text.includes(EVAL_END)) throw new Error(`docs/model.md lacks the ${EVAL_START} / ${EVAL_END} markers`)
    fs.writeFileSync(docs, `${text.slice(0, text.indexOf(EVAL_START) + EVAL_START.length)}\n${markdown}${text.slice(text.indexOf(EVAL_END))}`)
  }
  process.stdout.write(markdown)
}

/** Re-evaluates every profile's cohorts with the deployment's classifier, with a progress bar. */
export async function reclassifyCommand(config: Config, options: { quiet?: boolean }): Promise<{ processed: number; changed: number }> {
  const runtime = await openRuntime(config)
  const bar = options.quiet || !process.stderr.isTTY ? null : new cliProgress.SingleBar({ format: 'reclassify [{bar}] {percentage}% {value}/{total} profiles, {changed} memberships changed', stream: process.stderr })
  try {
    const total = await runtime.store.countProfiles()
    bar?.start(total, 0, { changed: 0 })
    const status = await runtime.cohorts.reclassifier.run('cdp reclassify', (s) => bar?.update(s.processed, { changed: s.changed }))
    bar?.stop()
    if (status.state !== 'done') throw new Error(`reclassify ${status.state}: ${status.error ?? 'stopped'}`)
    return { processed: status.processed, changed: status.changed }
  } finally {
    bar?.stop()
    await runtime.close()
  }
}
