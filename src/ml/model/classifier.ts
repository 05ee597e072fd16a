// The interest model at prediction time: text → analysis (normalize, spell-correct, gazetteer) →
// softmax regression → decision (no cohort, or the best cohorts with scores). Pure and synchronous
// once loaded; a bounded cache of recent interests makes repeated texts nearly free.
import fs from 'node:fs'
import type { CohortDefinition, CohortScore, InterestClassifier } from '../../domain/types.ts'
import { MODEL_DIR, readCohorts } from './cohorts.ts'
import { createFeaturizer, logits, softmaxInPlace, type Analysis, type Featurizer } from './features.ts'
import { AppError } from '../../errors.ts'
import { applyExtrasToGazetteer, extrasHash, isEmptyExtras, validateExtras, type ModelExtras, type RecordedExtras } from './extras.ts'
import { readGazetteer, type Gazetteer } from './gazetteer.ts'
import { buildSpeller } from './speller.ts'
import { readVectors, type WordVectors } from './vectors.ts'
import { decodeWeights, readMeta, type ModelMeta } from './weights.ts'

/** Vector words that join the spelling dictionary, and the rank from which a word counts as rare. */
export const COMMON_WORDS = 30_000
export const RARE_RANK = 50_000
/** Score floors a whole-phrase gazetteer match guarantees its cohorts (primary, then the others). */
const GAZETTEER_PRIMARY_FLOOR = 0.75
const GAZETTEER_SECONDARY_FLOOR = 0.2
const MAX_COHORTS = 3

export interface Explanation {
  text: string
  normalized: string
  corrections: { from: string; to: string }[]
  decision: 'override' | 'unknown_words' | 'below_threshold' | 'none_class' | 'accepted'
  gazetteer: { alias: string; cohorts: string[]; whole: boolean; source: string }[]
  /** Class probabilities of the model, best first ("none" included). */
  probabilities: { label: string; probability: number }[]
  /** The strongest features for the best cohort: what pushed the model there. */
  features: { feature: string; contribution: number }[]
  threshold: number
  cohorts: CohortScore[]
}

export interface ModelClassifier extends InterestClassifier {
  explain(text: string): Explanation
  /** Text analysis and vectors, for extensions that match without retraining (extend.ts). */
  readonly featurizer: Featurizer
}

export interface BaseResources {
  cohorts: CohortDefinition[]
  vectors: WordVectors
  gazetteer: Gazetteer
}

export interface ModelResources extends BaseResources {
  meta: ModelMeta
  featurizer: Featurizer
  weights: Float32Array
}

/**
 * Cohorts, gazetteer and vectors from `dir`. With extras, the custom cohorts follow the built-in ones
 * (so they get the last classes and gazetteer feature slots) and their seeds join the gazetteer.
 */
export function loadBaseResources(dir: URL = MODEL_DIR, extras?: ModelExtras): BaseResources {
  const builtIn = readCohorts(dir)
  const { gazetteer, problems } = readGazetteer(new URL('gazetteer/', dir), builtIn.map((c) => c.id))
  if (problems.length > 0) throw new Error(`gazetteer has ${problems.length} problem(s), first: ${problems[0]?.message}`)
  let cohorts = builtIn
  if (extras && !isEmptyExtras(extras)) {
    const canonical = validateExtras(extras, builtIn)
    cohorts = [...builtIn, ...canonical.cohorts]
    applyExtrasToGazetteer(gazetteer, canonical)
  }
  return { cohorts, vectors: readVectors(new URL('vectors.bin', dir)), gazetteer }
}

export function featurizerFor(base: BaseResources, input: { hashBits: number; domainWords: ReadonlySet<string> }): Featurizer {
  const { vectors, gazetteer } = base
  const domainWords = new Set([...input.domainWords, ...gazetteer.words])
  const speller = buildSpeller({
    domainWords,
    rank: (w) => vectors.index.get(w),
    commonRank: COMMON_WORDS,
    rareRank: RARE_RANK,
  })
  return createFeaturizer({
    layout: { hashBits: input.hashBits, dims: vectors.dims, cohortIds: base.cohorts.map((c) => c.id) },
    vectors,
    gazetteer,
    speller,
    domainWords,
  })
}

export interface LoadOptions {
  /** Cohorts, gazetteer and vectors; default data/model/. */
  dir?: URL
  /** model.bin and model.json; default `dir`. */
  weightsDir?: URL
  /**
   * The extras the weights must have been trained with. Omitted: whatever model.json records
   * (none for the committed model). Given: they must match model.json, or loading throws.
   */
  extras?: ModelExtras
}

/** The extras recorded in model.json, checked against the extras the caller expects. */
function extrasFor(meta: ModelMeta, expected: ModelExtras | undefined, origin: string): ModelExtras | undefined {
  const recorded: RecordedExtras | undefined = meta.extras
  if (recorded && extrasHash(recorded) !== recorded.hash) throw new Error(`${origin}: the recorded extras do not match their hash ${recorded.hash}: the file was edited, retrain`)
  const recordedHash = recorded ? recorded.hash : extrasHash({ cohorts: [], examples: [] })
  if (expected !== undefined && extrasHash(expected) !== recordedHash) {
    const trained = recorded ? `${recorded.cohorts.length} custom cohort(s) and ${recorded.examples.length} example(s) (${recorded.hash})` : 'no extras'
    const asked = `${expected.cohorts.length} custom cohort(s) and ${expected.examples.length} example(s) (${extrasHash(expected)})`
    throw new AppError('conflict', `${origin} was trained with ${trained}, not with the requested ${asked}: retrain with these extras or load the matching weights`)
  }
  return recorded
}

export function loadResources(options: LoadOptions | URL = {}): ModelResources {
  const { dir = MODEL_DIR, weightsDir = dir, extras } = options instanceof URL ? { dir: options } : options
  const meta = readMeta(new URL('model.json', weightsDir))
  const recorded = extrasFor(meta, extras, new URL('model.json', weightsDir).pathname)
  const base = loadBaseResources(dir, recorded)
  const featurizer = featurizerFor(base, { hashBits: meta.hashBits, domainWords: new Set(meta.domainWords) })
  if (featurizer.layout.cohortIds.join(' ') !== meta.classes.slice(1).join(' ')) {
    throw new Error(`model.json in ${weightsDir.pathname} has classes ${meta.classes.slice(1).join(', ')} but the cohorts are ${featurizer.layout.cohortIds.join(', ')}: retrain`)
  }
  const file = new URL('model.bin', weightsDir)
  const { weights, rows, classes } = decodeWeights(fs.readFileSync(file), file.pathname)
  if (rows !== featurizer.rowCount || classes !== meta.classes.length) {
    throw new Error(`${file.pathname} has ${rows}×${classes} weights, model.json expects ${featurizer.rowCount}×${meta.classes.length}: retrain`)
  }
  return { ...base, meta, featurizer, weights }
}

export interface Decision {
  decision: Explanation['decision']
  cohorts: { id: string; score: number }[]
}

/**
 * The rule from probabilities to an answer, shared with training (which picks `threshold`).
 * probabilities[0] is "none"; classes[k] is the cohort id of probabilities[k].
 */
export function decide(input: { analysis: Analysis; probabilities: ArrayLike<number>; classes: readonly string[]; threshold: number; secondMin: number }): Decision {
  const { analysis, probabilities, classes } = input
  if (!analysis.hasKnownWord) return { decision: 'unknown_words', cohorts: [] }
  const scores = new Map<string, number>()
  for (let k = 1; k < classes.length; k++) scores.set(classes[k] as string, probabilities[k] as number)
  const whole = analysis.gazetteer.find((m) => m.whole)
  if (whole) {
    whole.entry.cohorts.forEach((id, position) => {
      const floor = position === 0 ? GAZETTEER_PRIMARY_FLOOR : GAZETTEER_SECONDARY_FLOOR
      scores.set(id, Math.max(scores.get(id) ?? 0, floor))
    })
  }
  const ranked = [...scores].sort((a, b) => b[1] - a[1])
  const [bestId, best] = ranked[0] ?? ['', 0]
  if (!whole) {
    if ((probabilities[0] as number) >= best) return { decision: 'none_class', cohorts: [] }
    if (best < input.threshold) return { decision: 'below_threshold', cohorts: [] }
  }
  // An entity the gazetteer files under several cohorts ("nike": Fashion, Sports) keeps its other
  // cohorts in the answer whenever it supports the best one, however low the model puts them.
  for (const match of analysis.gazetteer) {
    if (!match.entry.cohorts.includes(bestId)) continue
    for (const id of match.entry.cohorts) if (id !== bestId) scores.set(id, Math.max(scores.get(id) ?? 0, input.secondMin))
  }
  const cohorts = [{ id: bestId, score: best }]
  const others = [...scores].filter(([id]) => id !== bestId).sort((a, b) => b[1] - a[1])
  for (const [id, score] of others.slice(0, MAX_COHORTS - 1)) if (score >= input.secondMin) cohorts.push({ id, score })
  return { decision: 'accepted', cohorts }
}

export function createModelClassifier(resources: ModelResources, options: { cacheSize?: number } = {}): ModelClassifier {
  const { meta, featurizer, weights, cohorts } = resources
  const classes = meta.classes
  const nameOf = new Map(cohorts.map((c) => [c.id, c.name]))
  const cacheSize = options.cacheSize ?? 50_000
  const cache = new Map<string, readonly CohortScore[]>()
  const round = (x: number) => Math.round(x * 1000) / 1000

  function run(text: string, withNames: boolean) {
    const analysis = featurizer.analyze(text)
    const features = featurizer.features(analysis, withNames)
    const probabilities = softmaxInPlace(logits(weights, classes.length, features))
    const decision = decide({ analysis, probabilities, classes, threshold: meta.threshold, secondMin: meta.secondMin })
    const scores = decision.cohorts.map((c) => Object.freeze({ cohort: nameOf.get(c.id) ?? c.id, score: round(c.score) }))
    return { analysis, features, probabilities, decision, scores }
  }

  return {
    version: meta.version,
    featurizer,
    cohorts: () => cohorts,
    classify(text: string): CohortScore[] {
      const cached = cache.get(text)
      if (cached) return cached.slice()
      const { scores } = run(text, false)
      if (cache.size >= cacheSize) cache.clear()
      cache.set(text, scores)
      return scores.slice()
    },
    explain(text: string): Explanation {
      const { analysis, features, probabilities, decision, scores } = run(text, true)
      const order = [...probabilities.keys()].sort((a, b) => (probabilities[b] as number) - (probabilities[a] as number))
      const target = classes.indexOf(decision.cohorts[0]?.id ?? 'none')
      const contributions = new Map<string, number>()
      features.rows.forEach((row, i) => {
        const name = features.names?.[i] ?? String(row)
        const key = name.startsWith('vector[') ? 'word vectors' : name
        const value = (weights[row * classes.length + target] as number) * (features.values[i] as number)
        contributions.set(key, (contributions.get(key) ?? 0) + value)
      })
      return {
        text,
        normalized: analysis.normalized,
        corrections: analysis.corrections,
        decision: decision.decision,
        gazetteer: analysis.gazetteer.map((m) => ({ alias: m.entry.alias, cohorts: m.entry.cohorts.map((id) => nameOf.get(id) ?? id), whole: m.whole, source: m.entry.source })),
        probabilities: order.map((k) => ({ label: k === 0 ? 'none' : (nameOf.get(classes[k] as string) ?? ''), probability: round(probabilities[k] as number) })),
        features: [...contributions]
          .filter(([name]) => name !== 'bias')
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([feature, contribution]) => ({ feature, contribution: round(contribution) })),
        threshold: meta.threshold,
        cohorts: scores.slice(),
      }
    },
  }
}

/**
 * Loads the committed model from data/model/ (or `dir`), or weights retrained with extras from
 * `weightsDir`; see LoadOptions.
 */
export function loadModelClassifier(options: LoadOptions & { cacheSize?: number } = {}): ModelClassifier {
  return createModelClassifier(loadResources(options), options)
}
