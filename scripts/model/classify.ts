// Classifies interests with the committed model: the arguments, or one interest per line on stdin.
// Writes one JSON line per input, in order: {"text":"nike shoes","cohorts":[{"name":"Fashion","score":0.81},…]}
//   npx tsx scripts/model/classify.ts "tom brady" "nike shoes"
//   printf 'tom brady\nasdfgh\n' | npx tsx scripts/model/classify.ts [--explain]
import readline from 'node:readline'
import { loadModelClassifier } from '../../src/ml/model/index.ts'

const explain = process.argv.includes('--explain')
const texts = process.argv.slice(2).filter((a) => a !== '--explain')
const classifier = loadModelClassifier()

function line(text: string): string {
  if (explain) return JSON.stringify(classifier.explain(text))
  return JSON.stringify({ text, cohorts: classifier.classify(text).map((c) => ({ name: c.cohort, score: c.score })) })
}

if (texts.length > 0) {
  for (const text of texts) process.stdout.write(`${line(text)}\n`)
} else {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const text of lines) process.stdout.write(`${line(text)}\n`)
}
