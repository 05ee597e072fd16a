// The classifier the pipeline uses unless told otherwise.
import type { InterestClassifier } from '../domain/types.ts'
import { RulesClassifier } from './rules-classifier.ts'
import { loadTaxonomy } from './taxonomy.ts'

export function loadDefaultClassifier(): InterestClassifier {
  return new RulesClassifier(loadTaxonomy())
}
