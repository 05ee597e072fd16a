// Evaluates the committed model on the held-out set and prints the markdown report.
//   npx tsx scripts/model/eval.ts [heldout.tsv] [--write report.md] [--docs]
// --docs replaces the report between the eval markers in docs/model.md.
import fs from 'node:fs'
import { evaluateModel, formatEvalReport, loadModelClassifier, measurePerformance, modelFiles, readItems } from '../../src/ml/model/index.ts'

const args = process.argv.slice(2)
const writeAt = args.indexOf('--write')
const target = writeAt >= 0 ? args[writeAt + 1] : undefined
const path = args.find((a, i) => !a.startsWith('--') && (writeAt < 0 || i !== writeAt + 1))
const heldOut = path ?? new URL('../../data/model/heldout.tsv', import.meta.url)
const classifier = loadModelClassifier()
const report = evaluateModel(classifier, heldOut)
report.performance = measurePerformance(() => loadModelClassifier(), readItems(heldOut).map((i) => i.text))
report.files = modelFiles()
const markdown = formatEvalReport(report, new Map(classifier.cohorts().map((c) => [c.id, c.name])))
if (target) fs.writeFileSync(target, markdown)
if (args.includes('--docs')) {
  const docs = new URL('../../docs/model.md', import.meta.url)
  const text = fs.readFileSync(docs, 'utf8')
  const start = '<!-- eval:start -->'
  const end = '<!-- eval:end -->'
  if (!text.includes(start) || !text.includes(end)) throw new Error(`docs/model.md lacks the ${start} / ${end} markers`)
  fs.writeFileSync(docs, `${text.slice(0, text.indexOf(start) + start.length)}\n${markdown}${text.slice(text.indexOf(end))}`)
}
console.log(markdown)
