// The interest model: an entity gazetteer plus a softmax regression over hashed n-grams and GloVe
// vectors, trained offline and loaded from data/model/. See docs/model.md.
export { loadModelClassifier, createModelClassifier, loadResources, type LoadOptions, type ModelClassifier, type Explanation } from './classifier.ts'
export { trainModel, type TrainOptions, type TrainReport } from './train.ts'
export { retrainInWorker, type RetrainOptions } from './retrain.ts'
export { extrasHash, type ModelExtras } from './extras.ts'
export { evaluateModel, formatEvalReport, measurePerformance, modelFiles, type EvalReport } from './evaluate.ts'
export { readItems, type LabeledItem } from './corpus.ts'
export { withCustomCohort, withOverrides } from './extend.ts'
