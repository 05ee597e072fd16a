// Extensions that need no retraining: a custom cohort that matches through its seed terms (exactly,
// as word n-grams, or by vector similarity to the cohort as a whole), and corrections that override
// the model. Both wrap a classifier and return a new one; the wrapped classifier is never changed.
import type { CohortDefinition, CohortScore } from '../../domain/types.ts'
import type { Explanation, ModelClassifier } from './classifier.ts'
import { addAlias, emptyGazetteer, matchGazetteer } from './gazetteer.ts'
import { cosine } from './vectors.ts'
import { normalizeText } from './text.ts'

/**
 * Vector similarity to the cohort's centroid (the mean of its seeds' vectors) from which the custom
 * cohort is reported before the model has learned it. Strong on purpose: until retraining, a wrong
 * member is worse than a missed one.
 */
export const CUSTOM_SIMILARITY = 0.7
// An exact seed term is the admin's own word for the cohort: it comes first.
const SEED_WHOLE_SCORE = 1
const SEED_PART_SCORE = 0.6

function insert(list: CohortScore[], entry: CohortScore): CohortScore[] {
  const out = list.filter((c) => c.cohort !== entry.cohort)
  out.push(entry)
  return out.sort((a, b) => b.score - a.score)
}

/**
 * A classifier that also knows `definition`, matched through `seeds` (seed terms and example
 * entities). Works at once; a retrained model can later learn the cohort properly.
 */
export function withCustomCohort(base: ModelClassifier, definition: CohortDefinition, seeds: readonly string[]): ModelClassifier {
  const featurizer = base.featurizer
  const gazetteer = emptyGazetteer()
  // Similarity is measured to the centroid of the seeds, not to the nearest seed: a seed's generic
  // word ("food" in "dog food", "walking" in "dog walking") makes its own vector close to unrelated
  // interests ("fast food", "running shoes"), while in the centroid the words the seeds share (dog,
  // cat, pet) add up and each seed's generic word counts for one seed only.
  const centroid = new Float32Array(featurizer.layout.dims)
  let seedsWithVectors = 0
  for (const seed of seeds) {
    const alias = normalizeText(seed)
    if (alias === '') continue
    addAlias(gazetteer, { alias, cohorts: [definition.id], source: `custom:${definition.id}` })
    const vector = featurizer.meanVector(alias.split(' '))
    if (!vector) continue
    for (let d = 0; d < centroid.length; d++) centroid[d] = (centroid[d] as number) + (vector[d] as number)
    seedsWithVectors++
  }
  const customScore = (text: string): { score: number; why: string } | null => {
    const analysis = featurizer.analyze(text)
    const matches = matchGazetteer(gazetteer, analysis.words)
    if (matches.some((m) => m.whole)) return { score: SEED_WHOLE_SCORE, why: 'seed term' }
    if (matches.length > 0) return { score: SEED_PART_SCORE, why: `seed term "${matches[0]?.entry.alias}"` }
    const vector = seedsWithVectors > 0 ? featurizer.meanVector(analysis.words) : null
    if (!vector) return null
    const similarity = cosine(vector, centroid)
    return similarity >= CUSTOM_SIMILARITY ? { score: Math.round(similarity * 1000) / 1000, why: 'similar to the seed terms as a whole' } : null
  }
  const cohorts = [...base.cohorts(), definition]
  return {
    version: `${base.version}+${definition.id}`,
    featurizer,
    cohorts: () => cohorts,
    classify(text: string): CohortScore[] {
      const custom = customScore(text)
      const result = base.classify(text)
      return custom ? insert(result, { cohort: definition.name, score: custom.score }) : result
    },
    explain(text: string): Explanation {
      const explanation = base.explain(text)
      const custom = customScore(text)
      if (!custom) return explanation
      return {
        ...explanation,
        decision: 'accepted',
        features: [{ feature: `${definition.name}: ${custom.why}`, contribution: custom.score }, ...explanation.features],
        cohorts: insert(explanation.cohorts, { cohort: definition.name, score: custom.score }),
      }
    },
  }
}

/**
 * A classifier where corrected interests answer as an admin said: normalized text → cohort names,
 * best first ([] means "no cohort").
 */
export function withOverrides(base: ModelClassifier, overrides: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>): ModelClassifier {
  const table = new Map<string, readonly string[]>()
  const entries = overrides instanceof Map ? [...overrides] : Object.entries(overrides)
  for (const [text, names] of entries) table.set(normalizeText(text), names)
  const scoresOf = (names: readonly string[]): CohortScore[] => names.map((cohort, i) => ({ cohort, score: i === 0 ? 1 : 0.5 }))
  return {
    version: `${base.version}+overrides`,
    featurizer: base.featurizer,
    cohorts: () => base.cohorts(),
    classify(text: string): CohortScore[] {
      const names = table.get(normalizeText(text))
      return names ? scoresOf(names) : base.classify(text)
    },
    explain(text: string): Explanation {
      const explanation = base.explain(text)
      const names = table.get(normalizeText(text))
      if (!names) return explanation
      return { ...explanation, decision: 'override', features: [{ feature: 'admin correction', contribution: 1 }], cohorts: scoresOf(names) }
    },
  }
}
