// Retraining with admin extras, for real: a worker thread trains a model with a custom "Pets" cohort
// and a correction, and the loaded weights must have learned both without losing the built-in cohorts.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extrasHash, loadModelClassifier, retrainInWorker, trainModel, type ModelClassifier, type ModelExtras, type TrainReport } from './index.ts'

const PETS_SEEDS = ['dog food', 'cat toys', 'puppy training', 'veterinarian', 'labrador', 'aquarium', 'dog grooming', 'kitten adoption', 'bird cage', 'pet insurance']

function anExtras(overrides: Partial<ModelExtras> = {}): ModelExtras {
  return {
    cohorts: [{ id: 'coh_pets', name: 'Pets', description: 'People who keep, train and care for pets.', terms: ['pets'] }],
    examples: [...PETS_SEEDS.map((text) => ({ text, cohortIds: ['coh_pets'] })), { text: 'blockchain gaming', cohortIds: ['coh_gaming'] }, { text: 'peloton', cohortIds: [] }],
    ...overrides,
  }
}

const temporary: string[] = []
function aTempDir(): URL {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-retrain-'))
  temporary.push(dir)
  return pathToFileURL(`${dir}/`)
}
afterAll(() => {
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true })
})

describe('extrasHash', () => {
  it('ignores the order of cohorts, terms and examples, and tells different extras apart', () => {
    const extras = anExtras()
    const shuffled: ModelExtras = {
      cohorts: extras.cohorts.map((c) => ({ ...c, terms: [...c.terms].reverse() })),
      examples: [...extras.examples].reverse(),
    }
    expect(extrasHash(shuffled)).toBe(extrasHash(extras))
    expect(extrasHash(anExtras({ examples: extras.examples.slice(1) }))).not.toBe(extrasHash(extras))
    expect(extrasHash(anExtras({ examples: [{ text: 'blockchain gaming', cohortIds: [] }] }))).not.toBe(extrasHash(anExtras({ examples: [{ text: 'blockchain gaming', cohortIds: ['coh_gaming'] }] })))
  })
})

describe('retraining with a custom cohort and a correction, in a worker thread', () => {
  const weightsDir = aTempDir()
  let report: TrainReport
  let model: ModelClassifier
  let ticks = 0
  const top = (text: string) => model.classify(text)[0]?.cohort ?? 'none'

  beforeAll(async () => {
    // The main thread's event loop must keep running while the worker trains.
    const timer = setInterval(() => ticks++, 100)
    try {
      report = await retrainInWorker({ extras: anExtras(), outDir: weightsDir })
    } finally {
      clearInterval(timer)
    }
    model = loadModelClassifier({ weightsDir, extras: anExtras() })
  }, 180_000)

  it('trains off the main thread and records the extras in model.json', () => {
    expect(report.version).toMatch(/^interest-model-[0-9a-f]{8}$/)
    expect(ticks).toBeGreaterThan(report.seconds * 5)
    const meta = JSON.parse(fs.readFileSync(new URL('model.json', weightsDir), 'utf8'))
    expect(meta.extras.hash).toBe(extrasHash(anExtras()))
    expect(meta.classes.at(-1)).toBe('coh_pets')
  })

  it('lists the custom cohort and classifies held-out pet phrases into it', () => {
    expect(model.cohorts().map((c) => c.name)).toContain('Pets')
    expect(top('golden retriever puppies')).toBe('Pets')
    expect(top('cat litter')).toBe('Pets')
    expect(top('dog food')).toBe('Pets')
    expect(model.explain('labrador').gazetteer[0]).toMatchObject({ alias: 'labrador', source: 'custom:coh_pets' })
  })

  it('keeps the built-in cohorts', () => {
    expect(top('tom brady')).toBe('Sports')
    expect(model.classify('nike shoes')[0]?.cohort).toBe('Fashion')
    expect(top('minecraft')).toBe('Gaming')
    expect(top('ethereum')).toBe('Finance')
    expect(model.classify('asdfgh')).toEqual([])
    expect(model.classify('tuesday')).toEqual([])
  })

  it('learns the corrections, to a built-in cohort and to no cohort', () => {
    expect(top('blockchain gaming')).toBe('Gaming')
    expect(model.classify('peloton')).toEqual([])
    expect(top('yoga')).toBe('Health & Fitness')
  })

  it('loads the recorded extras when none are requested', () => {
    expect(loadModelClassifier({ weightsDir }).cohorts().map((c) => c.id)).toContain('coh_pets')
  })

  it('refuses weights trained with other extras', () => {
    const other = anExtras({ examples: anExtras().examples.slice(0, 5) })
    expect(() => loadModelClassifier({ weightsDir, extras: other })).toThrow(/was trained with 1 custom cohort\(s\) and 12 example\(s\)/)
    expect(() => loadModelClassifier({ extras: anExtras() })).toThrow(/was trained with no extras/)
  })
})

describe('training with extras', () => {
  it('gives the same bytes for the same extras in any order', async () => {
    const first = aTempDir()
    const second = aTempDir()
    const extras = anExtras()
    await trainModel({ extras, outDir: first, epochs: 1 })
    await trainModel({ extras: { cohorts: extras.cohorts, examples: [...extras.examples].reverse() }, outDir: second, epochs: 1 })
    for (const file of ['model.bin', 'model.json']) expect(fs.readFileSync(new URL(file, second)).equals(fs.readFileSync(new URL(file, first)))).toBe(true)
  }, 120_000)

  it('rejects a custom cohort that reuses a built-in id and examples with unknown cohorts', async () => {
    const clash = anExtras({ cohorts: [{ id: 'coh_sports', name: 'Sport 2', description: 'Another sports cohort.', terms: ['ball'] }] })
    await expect(trainModel({ extras: clash, outDir: aTempDir() })).rejects.toThrow(/coh_sports is a built-in cohort/)
    await expect(trainModel({ extras: anExtras({ cohorts: [] }), outDir: aTempDir() })).rejects.toThrow(/unknown cohort coh_pets/)
  })

  it('reports a failed retraining as a rejected promise', async () => {
    await expect(retrainInWorker({ extras: anExtras({ cohorts: [] }), outDir: aTempDir() })).rejects.toThrow(/retraining failed: .*unknown cohort coh_pets/)
  }, 60_000)
})
