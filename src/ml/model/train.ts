// Training: softmax regression with AdaGrad over the features of features.ts, on data/model/train.tsv.
// Deterministic (seeded shuffling and gazetteer dropout, no clock in the output). 10% of the corpus,
// chosen by a hash of the text, is held back to pick the "no cohort" threshold; the final model is
// then retrained on everything with that threshold. Extras (extras.ts) add custom cohorts as classes
// and admin examples as weighted, repeated items that replace corpus items with the same text.
import fs from 'node:fs'
import { decide, featurizerFor, loadBaseResources, RARE_RANK } from './classifier.ts'
import { MODEL_DIR, readCohorts } from './cohorts.ts'
import { readItems, type LabeledItem } from './corpus.ts'
import { EXAMPLE_REPEATS, extrasHash, extrasItems, isEmptyExtras, validateExtras, type ModelExtras } from './extras.ts'
import { logits, softmaxInPlace, type Analysis, type Features, type Featurizer } from './features.ts'
import { hashString, normalizeText, seededRandom, STOPWORDS, words } from './text.ts'
import { cosine, type WordVectors } from './vectors.ts'
import { encodeWeights, type ModelMeta } from './weights.ts'

export interface TrainOptions {
  dir?: URL
  /** Where to write model.bin and model.json; default `dir`. */
  outDir?: URL
  seed?: number
  epochs?: number
  hashBits?: number
  /** Custom cohorts and admin examples to learn; recorded in model.json. */
  extras?: ModelExtras
  log?: (line: string) => void
}

export interface TrainReport {
  version: string
  items: number
  validationItems: number
  epochs: number
  seconds: number
  threshold: number
  validation: { accuracy: number; noneRejected: number; falseRejected: number }
  modelBytes: number
}

interface Sample {
  item: LabeledItem
  analysis: Analysis
  features: Features
  targets: Float64Array
  weight: number
  /** Admin examples always train, never validate: the draft model must learn them too. */
  isExtra: boolean
}

const LEARNING_RATE = 0.15
const L2 = 1e-6
const GAZETTEER_DROPOUT = 0.4
const SECOND_MIN = 0.15
/** Vector similarity to a custom cohort's nearest seed from which a corpus "none" item is left out (loose: leaving out is cheap). */
const CLAIM_SIMILARITY = 0.5
const NEIGHBOUR_SIMILARITY = 0.6
const NEIGHBOUR_CENTROID_SIMILARITY = 0.45
const NEIGHBOURS_PER_SEED_WORD = 5
const NEIGHBOUR_WEIGHT = 1

/** Words of the clean, hand-written sources (never the generated typos). */
function domainWordsOf(dir: URL): Set<string> {
  const out = new Set<string>()
  const corpusDir = new URL('corpus/', dir)
  for (const file of fs.readdirSync(corpusDir)) {
    if (!file.endsWith('.txt')) continue
    for (const line of fs.readFileSync(new URL(file, corpusDir), 'utf8').split('\n')) {
      if (line.startsWith('#')) continue
      for (const w of words(line)) if (/^[a-z]{3,}$/.test(w)) out.add(w)
    }
  }
  return out
}

/**
 * A predicate for corpus "none" items that a custom cohort claims: they share a content word with one
 * of its seeds, or their vector is within CLAIM_SIMILARITY of a seed's.
 */
function claimedByCustomCohorts(featurizer: Featurizer, extras: ModelExtras): (item: LabeledItem) => boolean {
  const custom = new Set(extras.cohorts.map((c) => c.id))
  // Singular forms, so "dogs" and "puppies" meet the seeds "dog food" and "puppy training".
  const fold = (w: string) => w.replace(/ies$/, 'y').replace(/(?<!s)s$/, '')
  const contentOf = (text: string) => featurizer.analyze(text).words.filter((w) => !STOPWORDS.has(w))
  const seeds = extrasItems(extras)
    .filter((i) => custom.has(i.labels[0] as string))
    .map((i) => contentOf(i.text))
  const seedWords = new Set(seeds.flat().map(fold))
  const seedVectors = seeds.map((w) => featurizer.meanVector(w)).filter((v) => v !== null)
  return (item) => {
    if (item.labels[0] !== 'none') return false
    const content = contentOf(item.text)
    if (content.some((w) => seedWords.has(fold(w)))) return true
    const vector = featurizer.meanVector(content)
    return vector !== null && seedVectors.some((seed) => cosine(vector, seed) >= CLAIM_SIMILARITY)
  }
}

/**
 * Vector neighbours of a custom cohort's seed words ("labrador" → "retriever", "spaniel"), as light
 * items of that cohort, so ten seeds cover more than their own words. A neighbour must also be near
 * the cohort's centroid, common (the 50,000 most frequent words) and unused by the corpus's cohort
 * items, so "food" in "dog food" brings no Food & Drink words along.
 */
function neighbourItems(featurizer: Featurizer, vectors: WordVectors, extras: ModelExtras, corpus: readonly LabeledItem[]): LabeledItem[] {
  const taken = new Set<string>()
  for (const item of corpus) if (item.labels[0] !== 'none') for (const w of words(item.text)) taken.add(w)
  const count = Math.min(vectors.words.length, RARE_RANK)
  const unit = new Float32Array(count * vectors.dims)
  for (let row = 0; row < count; row++) {
    const v = featurizer.meanVector([vectors.words[row] as string])
    if (v) unit.set(v, row * vectors.dims)
  }
  const similarity = (row: number, v: Float32Array) => {
    let dot = 0
    for (let d = 0; d < vectors.dims; d++) dot += (unit[row * vectors.dims + d] as number) * (v[d] as number)
    return dot
  }
  const items: LabeledItem[] = []
  const chosen = new Set<string>()
  for (const cohort of extras.cohorts) {
    const seeds = extrasItems(extras).filter((i) => i.labels[0] === cohort.id)
    const seedWords = [...new Set(seeds.flatMap((i) => words(i.text)).filter((w) => !STOPWORDS.has(w)))]
    const centroid = featurizer.meanVector(seedWords)
    if (!centroid) continue
    for (const seedWord of seedWords) {
      const v = featurizer.meanVector([seedWord])
      if (!v) continue
      const near: { word: string; score: number }[] = []
      for (let row = 0; row < count; row++) {
        const word = vectors.words[row] as string
        if (!/^[a-z]{3,}$/.test(word) || STOPWORDS.has(word) || taken.has(word) || chosen.has(word) || seedWords.includes(word)) continue
        const score = similarity(row, v)
        if (score >= NEIGHBOUR_SIMILARITY && similarity(row, centroid) >= NEIGHBOUR_CENTROID_SIMILARITY) near.push({ word, score })
      }
      near.sort((a, b) => b.score - a.score || (a.word < b.word ? -1 : 1))
      for (const { word } of near.slice(0, NEIGHBOURS_PER_SEED_WORD)) {
        chosen.add(word)
        items.push({ text: word, labels: [cohort.id], kind: 'generic', weight: NEIGHBOUR_WEIGHT })
      }
    }
  }
  return items
}

function targetsFor(labels: readonly string[], classes: readonly string[]): Float64Array {
  const targets = new Float64Array(classes.length)
  const known = labels.filter((l) => classes.includes(l))
  if (known.length === 0) throw new Error(`unknown labels ${labels.join('|')}`)
  // The first label is the answer; acceptable alternatives share 30%, so "nike" leans Fashion yet
  // keeps Sports as a close second.
  known.forEach((label, i) => {
    const share = known.length === 1 ? 1 : i === 0 ? 0.7 : 0.3 / (known.length - 1)
    targets[classes.indexOf(label)] = share
  })
  return targets
}

function fit(samples: readonly Sample[], input: { rows: number; classes: number; epochs: number; seed: number }): Float32Array {
  const { rows, classes, epochs } = input
  const weights = new Float32Array(rows * classes)
  const squares = new Float32Array(rows * classes)
  const random = seededRandom(input.seed)
  const order = samples.map((_, i) => i)
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const t = order[i] as number
      order[i] = order[j] as number
      order[j] = t
    }
    for (const index of order) {
      const sample = samples[index] as Sample
      const skip = sample.features.gazetteerEnd > 0 && random() < GAZETTEER_DROPOUT
      const probabilities = softmaxInPlace(logits(weights, classes, sample.features, skip))
      const { rows: featureRows, values } = sample.features
      for (let f = skip ? sample.features.gazetteerEnd : 0; f < featureRows.length; f++) {
        const base = (featureRows[f] as number) * classes
        const value = values[f] as number
        for (let k = 0; k < classes; k++) {
          const at = base + k
          const gradient = ((probabilities[k] as number) - (sample.targets[k] as number)) * value * sample.weight + L2 * (weights[at] as number)
          const square = (squares[at] as number) + gradient * gradient
          squares[at] = square
          weights[at] = (weights[at] as number) - (LEARNING_RATE * gradient) / Math.sqrt(square + 1e-8)
        }
      }
    }
  }
  return weights
}

interface ValidationPoint {
  threshold: number
  accuracy: number
  noneRejected: number
  falseRejected: number
}

/** Accuracy counting "no cohort" as the right answer for none items, at each threshold. */
function sweepThresholds(samples: readonly Sample[], weights: Float32Array, classes: readonly string[]): ValidationPoint[] {
  const probabilities = samples.map((s) => softmaxInPlace(logits(weights, classes.length, s.features)))
  const points: ValidationPoint[] = []
  for (let t = 0.2; t <= 0.8001; t += 0.01) {
    let correct = 0
    let none = 0
    let noneRejected = 0
    let cohortItems = 0
    let falseRejected = 0
    samples.forEach((s, i) => {
      const d = decide({ analysis: s.analysis, probabilities: probabilities[i] as Float64Array, classes, threshold: t, secondMin: SECOND_MIN })
      const isNone = s.item.labels[0] === 'none'
      if (isNone) {
        none++
        if (d.cohorts.length === 0) {
          noneRejected++
          correct++
        }
      } else {
        cohortItems++
        if (d.cohorts.length === 0) falseRejected++
        else if (s.item.labels.includes(d.cohorts[0]?.id as string)) correct++
      }
    })
    points.push({ threshold: Math.round(t * 100) / 100, accuracy: correct / samples.length, noneRejected: noneRejected / Math.max(1, none), falseRejected: falseRejected / Math.max(1, cohortItems) })
  }
  return points
}

export async function trainModel(options: TrainOptions = {}): Promise<TrainReport> {
  const started = performance.now()
  const dir = options.dir ?? MODEL_DIR
  const outDir = options.outDir ?? dir
  const seed = options.seed ?? 20261122
  const epochs = options.epochs ?? 10
  const hashBits = options.hashBits ?? 18
  const log = options.log ?? (() => {})

  const extras = isEmptyExtras(options.extras) ? undefined : validateExtras(options.extras as ModelExtras, readCohorts(dir))
  const base = loadBaseResources(dir, extras)
  const domainWords = domainWordsOf(dir)
  const extraItems = extras ? extrasItems(extras) : []
  for (const item of extraItems) for (const w of words(item.text)) if (/^[a-z]{3,}$/.test(w)) domainWords.add(w)
  const featurizer = featurizerFor(base, { hashBits, domainWords })
  const classes = ['none', ...base.cohorts.map((c) => c.id)]
  // An admin's label replaces the corpus's for the same text, and a custom cohort claims the "none"
  // items near its seeds (the corpus files pets, parenting… under none).
  const relabeled = new Set(extraItems.map((i) => i.text))
  const isClaimed = extras ? claimedByCustomCohorts(featurizer, extras) : () => false
  const corpusItems = readItems(new URL('train.tsv', dir)).filter((item) => !relabeled.has(normalizeText(item.text)) && !isClaimed(item))
  if (extras) log(`left out ${readItems(new URL('train.tsv', dir)).length - corpusItems.length} corpus items relabeled or claimed by custom cohorts`)
  const toSample = (item: LabeledItem, isExtra: boolean): Sample => {
    const analysis = featurizer.analyze(item.text)
    return { item, analysis, features: featurizer.features(analysis), targets: targetsFor(item.labels, classes), weight: item.weight ?? 1, isExtra }
  }
  const neighbours = extras ? neighbourItems(featurizer, base.vectors, extras, corpusItems) : []
  if (neighbours.length > 0) log(`seed neighbours: ${neighbours.map((i) => `${i.text}→${i.labels[0]}`).join(', ')}`)
  const samples: Sample[] = [...corpusItems, ...neighbours].map((item) => toSample(item, false))
  for (const item of extraItems) {
    const sample = toSample(item, true)
    for (let r = 0; r < EXAMPLE_REPEATS; r++) samples.push(sample)
  }
  log(`featurized ${samples.length} items (${extraItems.length} admin examples × ${EXAMPLE_REPEATS}) in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const isValidation = (s: Sample) => !s.isExtra && hashString(s.item.text) % 10 === 0
  const trainSplit = samples.filter((s) => !isValidation(s))
  const validationSplit = samples.filter(isValidation)
  const draft = fit(trainSplit, { rows: featurizer.rowCount, classes: classes.length, epochs, seed })
  const points = sweepThresholds(validationSplit, draft, classes)
  // Best accuracy among thresholds that wrongly reject at most 4% of real interests.
  const allowed = points.filter((p) => p.falseRejected <= 0.04)
  const chosen = (allowed.length > 0 ? allowed : points).reduce((a, b) => (b.accuracy > a.accuracy ? b : a))
  log(`validation (${validationSplit.length} items): threshold ${chosen.threshold}, accuracy ${(chosen.accuracy * 100).toFixed(1)}%, none rejected ${(chosen.noneRejected * 100).toFixed(1)}%, false rejections ${(chosen.falseRejected * 100).toFixed(1)}%`)

  const weights = fit(samples, { rows: featurizer.rowCount, classes: classes.length, epochs, seed })
  const bytes = encodeWeights(weights, featurizer.rowCount, classes.length)
  const version = `interest-model-${hashString(bytes.toString('latin1')).toString(16).padStart(8, '0')}`
  const meta: ModelMeta = {
    version,
    seed,
    hashBits,
    dims: base.vectors.dims,
    classes,
    threshold: chosen.threshold,
    secondMin: SECOND_MIN,
    domainWords: [...domainWords].sort(),
    training: { items: samples.length, validationItems: validationSplit.length, epochs, learningRate: LEARNING_RATE, l2: L2, gazetteerDropout: GAZETTEER_DROPOUT, validation: chosen },
  }
  if (extras) meta.extras = { hash: extrasHash(extras), ...extras }
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(new URL('model.bin', outDir), bytes)
  fs.writeFileSync(new URL('model.json', outDir), `${JSON.stringify(meta, null, 1)}\n`)
  const seconds = (performance.now() - started) / 1000
  log(`wrote model.bin (${(bytes.length / 1e6).toFixed(1)} MB) and model.json, version ${version}, in ${seconds.toFixed(1)} s`)
  return {
    version,
    items: samples.length,
    validationItems: validationSplit.length,
    epochs,
    seconds,
    threshold: chosen.threshold,
    validation: { accuracy: chosen.accuracy, noneRejected: chosen.noneRejected, falseRejected: chosen.falseRejected },
    modelBytes: bytes.length,
  }
}
