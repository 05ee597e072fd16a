// The classifier the pipeline uses unless told otherwise: the trained interest model (docs/model.md).
// The keyword rules (rules-classifier.ts) remain for callers that want a model-free classifier.
import type { ModelClassifier } from './model/index.ts'
import { loadModelClassifier } from './model/index.ts'

export function loadDefaultClassifier(): ModelClassifier {
  return loadModelClassifier()
}
