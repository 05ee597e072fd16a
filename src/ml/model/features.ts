// Feature extraction, shared by training and prediction so the two can never disagree.
// Row layout of the weight matrix:
//   [0, 2^hashBits)            hashed word unigrams, word bigrams and character 3–5-grams
//   next `dims` rows           the average of the words' GloVe vectors (unit length)
//   next 2 × cohorts rows      gazetteer: whole-phrase match per cohort, then partial match per cohort
//   last row                   bias
import type { Gazetteer, GazetteerMatch } from './gazetteer.ts'
import { matchGazetteer } from './gazetteer.ts'
import type { Speller } from './speller.ts'
import { hashString, STOPWORDS, words as splitWords } from './text.ts'
import { addVector, normalizeInPlace, type WordVectors } from './vectors.ts'

export interface FeatureLayout {
  hashBits: number
  dims: number
  cohortIds: readonly string[] // gazetteer feature order
}

export interface Analysis {
  normalized: string
  /** Words after spell correction. */
  words: string[]
  corrections: { from: string; to: string }[]
  /** Some non-stopword is a word we know (vectors, gazetteer or training vocabulary). */
  hasKnownWord: boolean
  gazetteer: GazetteerMatch[]
}

export interface Features {
  rows: Int32Array
  values: Float32Array
  /** How many leading entries are gazetteer features (training drops them at random). */
  gazetteerStart: number
  gazetteerEnd: number
  names?: string[]
}

export interface Featurizer {
  layout: FeatureLayout
  rowCount: number
  analyze(text: string): Analysis
  features(analysis: Analysis, withNames?: boolean): Features
  /** The unit-length average vector of the content words, or null when none has a vector. */
  meanVector(words: readonly string[]): Float32Array | null
}

export interface FeaturizerInput {
  layout: FeatureLayout
  vectors: WordVectors
  gazetteer: Gazetteer
  speller: Speller
  domainWords: ReadonlySet<string>
}

const GAZETTEER_SECONDARY = 0.5

export function createFeaturizer(input: FeaturizerInput): Featurizer {
  const { layout, vectors, gazetteer, speller, domainWords } = input
  const buckets = 2 ** layout.hashBits
  const mask = buckets - 1
  const denseStart = buckets
  const gazetteerWholeStart = denseStart + layout.dims
  const gazetteerPartStart = gazetteerWholeStart + layout.cohortIds.length
  const biasRow = gazetteerPartStart + layout.cohortIds.length
  const cohortRow = new Map(layout.cohortIds.map((id, i) => [id, i]))
  const isKnown = (w: string) => vectors.index.has(w) || gazetteer.words.has(w) || domainWords.has(w)
  // Adjacent word pairs inside gazetteer aliases: the context that picks "honda" for "hond civic".
  const aliasPairs = new Set<string>()
  for (const alias of gazetteer.entries.keys()) {
    const parts = alias.split(' ')
    for (let i = 0; i + 1 < parts.length; i++) aliasPairs.add(`${parts[i]} ${parts[i + 1]}`)
  }

  /** Corrects each rare word; a candidate that forms an alias pair with a neighbour wins. */
  function correctWords(raw: readonly string[]): { words: string[]; corrections: { from: string; to: string }[] } {
    const out = raw.slice()
    const corrections: { from: string; to: string }[] = []
    raw.forEach((word, i) => {
      const options = speller.candidates(word)
      if (options.length === 0) return
      const before = out[i - 1]
      const after = raw[i + 1]
      const inContext = options.find((c) => (before !== undefined && aliasPairs.has(`${before} ${c}`)) || (after !== undefined && aliasPairs.has(`${c} ${after}`)))
      const choice = inContext ?? (word.length >= 4 ? options[0] : undefined)
      if (choice === undefined) return
      out[i] = choice
      corrections.push({ from: word, to: choice })
    })
    return { words: out, corrections }
  }

  function analyze(text: string): Analysis {
    const raw = splitWords(text)
    const { words: corrected, corrections } = correctWords(raw)
    const matches = matchGazetteer(gazetteer, corrected)
    const hasKnownWord = matches.length > 0 || corrected.some((w) => !STOPWORDS.has(w) && isKnown(w))
    return { normalized: raw.join(' '), words: corrected, corrections, hasKnownWord, gazetteer: matches }
  }

  function meanVector(words: readonly string[]): Float32Array | null {
    const mean = new Float32Array(layout.dims)
    let count = 0
    for (const w of words) {
      if (STOPWORDS.has(w)) continue
      const row = vectors.index.get(w)
      if (row === undefined) continue
      addVector(vectors, row, 1, mean)
      count++
    }
    return count === 0 ? null : (normalizeInPlace(mean), mean)
  }

  function features(analysis: Analysis, withNames = false): Features {
    const rows: number[] = []
    const values: number[] = []
    const names: string[] = []
    const push = (row: number, value: number, name: string) => {
      rows.push(row)
      values.push(value)
      if (withNames) names.push(name)
    }
    // Gazetteer first, so training can drop them as one block.
    const content = analysis.words.filter((w) => !STOPWORDS.has(w))
    const contentCount = Math.max(1, content.length)
    for (const match of analysis.gazetteer) {
      const covered = analysis.words.slice(match.start, match.end).filter((w) => !STOPWORDS.has(w)).length
      const coverage = match.whole ? 1 : Math.min(1, covered / contentCount)
      match.entry.cohorts.forEach((id, position) => {
        const index = cohortRow.get(id)
        if (index === undefined) return
        const strength = (position === 0 ? 1 : GAZETTEER_SECONDARY) * coverage
        if (match.whole || coverage === 1) push(gazetteerWholeStart + index, strength, `gazetteer:${match.entry.alias}→${id}`)
        else push(gazetteerPartStart + index, strength, `gazetteer part:${match.entry.alias}→${id}`)
      })
    }
    const gazetteerEnd = rows.length

    const unit = content.length > 0 ? content : analysis.words
    const wordFeatures: string[] = []
    for (const w of unit) wordFeatures.push(`w:${w}`)
    for (let i = 0; i + 1 < analysis.words.length; i++) wordFeatures.push(`b:${analysis.words[i]} ${analysis.words[i + 1]}`)
    const wordScale = 1 / Math.sqrt(Math.max(1, wordFeatures.length))
    for (const f of wordFeatures) push(hashString(f) & mask, wordScale, f)

    const grams: string[] = []
    for (const w of unit) {
      const padded = `<${w}>`
      for (let n = 3; n <= 5; n++) for (let i = 0; i + n <= padded.length; i++) grams.push(`c:${padded.slice(i, i + n)}`)
    }
    const gramScale = 1 / Math.sqrt(Math.max(1, grams.length))
    for (const g of grams) push(hashString(g) & mask, gramScale, g)

    const mean = meanVector(analysis.words)
    if (mean) for (let d = 0; d < layout.dims; d++) push(denseStart + d, mean[d] as number, `vector[${d}]`)
    push(biasRow, 1, 'bias')
    const result: Features = { rows: Int32Array.from(rows), values: Float32Array.from(values), gazetteerStart: 0, gazetteerEnd }
    if (withNames) result.names = names
    return result
  }

  return { layout, rowCount: biasRow + 1, analyze, features, meanVector }
}

/** Class scores (logits) for one feature set: weights is rows × classes, row-major. */
export function logits(weights: Float32Array, classes: number, features: Features, skipGazetteer = false): Float64Array {
  const out = new Float64Array(classes)
  const start = skipGazetteer ? features.gazetteerEnd : 0
  for (let i = start; i < features.rows.length; i++) {
    const base = (features.rows[i] as number) * classes
    const value = features.values[i] as number
    for (let k = 0; k < classes; k++) out[k] = (out[k] as number) + (weights[base + k] as number) * value
  }
  return out
}

export function softmaxInPlace(scores: Float64Array): Float64Array {
  let max = -Infinity
  for (const s of scores) max = Math.max(max, s)
  let sum = 0
  for (let k = 0; k < scores.length; k++) {
    scores[k] = Math.exp((scores[k] as number) - max)
    sum += scores[k] as number
  }
  for (let k = 0; k < scores.length; k++) scores[k] = (scores[k] as number) / sum
  return scores
}
