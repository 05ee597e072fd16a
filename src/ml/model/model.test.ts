// Pins the committed model's behaviour on a fixed sample. When the model is retrained these
// expectations stay as they are: a retrained model must still pass them.
import { beforeAll, describe, expect, it } from 'vitest'
import { loadModelClassifier, withCustomCohort, withOverrides, type ModelClassifier } from './index.ts'

let model: ModelClassifier
const top = (text: string) => model.classify(text)[0]?.cohort ?? 'none'

beforeAll(() => {
  model = loadModelClassifier()
})

describe('interest model', () => {
  it('puts Tom Brady in Sports', () => {
    expect(top('Tom Brady')).toBe('Sports')
    expect(top('tom brady')).toBe('Sports')
  })

  it('puts Nike shoes in Fashion first and Sports second', () => {
    expect(model.classify('Nike shoes').map((c) => c.cohort).slice(0, 2)).toEqual(['Fashion', 'Sports'])
  })

  it.each(['asdfgh', 'tuesday', 'blue', 'qwerty', 'nothing', 'n/a', '', '   ', 'the', '12345', 'politics', 'my dogs'])('answers no cohort for %j', (text) => {
    expect(model.classify(text)).toEqual([])
  })

  it.each([
    ['Lionel Messi', 'Sports'],
    ['crcket', 'Sports'],
    ['footbal', 'Sports'],
    ['Gucci', 'Fashion'],
    ['Ethereum', 'Finance'],
    ['index fund investing', 'Finance'],
    ['iphone', 'Technology'],
    ['machine learning', 'Technology'],
    ['taylor swift', 'Entertainment'],
    ['breaking bad', 'Entertainment'],
    ['santorini', 'Travel'],
    ['cheap flights', 'Travel'],
    ['sushi', 'Food & Drink'],
    ['craft beer', 'Food & Drink'],
    ['yoga', 'Health & Fitness'],
    ['peloton', 'Health & Fitness'],
    ['porsche 911', 'Automotive'],
    ['car detailing', 'Automotive'],
    ['houseplants', 'Home & Garden'],
    ['ikea', 'Home & Garden'],
    ['khan academy', 'Education'],
    ['learning spanish', 'Education'],
    ['minecraft', 'Gaming'],
    ['esports', 'Gaming'],
    ['tombrady', 'Sports'],
  ])('classifies %j as %s', (text, cohort) => {
    expect(top(text)).toBe(cohort)
  })

  it('returns scores between 0 and 1, best first', () => {
    for (const text of ['nike shoes', 'tesla', 'apple', 'twitch streams', 'red bull racing']) {
      const scores = model.classify(text).map((c) => c.score)
      expect(scores.length).toBeGreaterThan(0)
      for (const s of scores) expect(s).toBeGreaterThan(0)
      for (const s of scores) expect(s).toBeLessThanOrEqual(1)
      expect([...scores].sort((a, b) => b - a)).toEqual(scores)
    }
  })

  it('answers the same from the cache, and callers cannot change the cached answer', () => {
    const first = model.classify('tom brady')
    first.pop()
    expect(model.classify('tom brady')).toHaveLength(1)
    expect(model.classify('tom brady')).toEqual(model.classify('tom brady'))
  })

  it('lists its twelve cohorts and a version', () => {
    expect(model.cohorts().map((c) => c.id)).toHaveLength(12)
    expect(model.version).toMatch(/^interest-model-[0-9a-f]{8}$/)
  })

  it('explains a gazetteer match and a spelling correction', () => {
    const brady = model.explain('Tom Brady')
    expect(brady.gazetteer[0]).toMatchObject({ alias: 'tom brady', cohorts: ['Sports'], whole: true })
    expect(brady.cohorts[0]?.cohort).toBe('Sports')
    const typo = model.explain('footbal')
    expect(typo.corrections).toEqual([{ from: 'footbal', to: 'football' }])
    expect(model.explain('asdfgh').decision).toBe('unknown_words')
  })
})

describe('extensions', () => {
  it('overrides the model with admin corrections, including "no cohort"', () => {
    const corrected = withOverrides(model, { 'Tom Brady': ['Entertainment'], blue: ['Fashion'], 'nike shoes': [] })
    expect(corrected.classify('tom brady')).toEqual([{ cohort: 'Entertainment', score: 1 }])
    expect(corrected.classify('Blue')[0]?.cohort).toBe('Fashion')
    expect(corrected.classify('nike shoes')).toEqual([])
    expect(corrected.classify('gucci')[0]?.cohort).toBe('Fashion')
    expect(corrected.explain('tom brady').decision).toBe('override')
  })

  it('adds a custom cohort that matches its seeds and similar words without retraining', () => {
    const pets = withCustomCohort(
      model,
      { id: 'coh_pets', name: 'Pets', description: 'People who keep and love pets.', terms: ['pets'] },
      ['dogs', 'cats', 'puppies', 'kittens', 'dog training', 'cat food', 'veterinarian', 'pet adoption', 'golden retriever', 'hamster'],
    )
    expect(pets.cohorts().map((c) => c.name)).toContain('Pets')
    expect(pets.classify('dog training')[0]?.cohort).toBe('Pets')
    expect(pets.classify('my puppy')[0]?.cohort).toBe('Pets')
    expect(pets.classify('kitten')[0]?.cohort).toBe('Pets')
    expect(pets.classify('tom brady')[0]?.cohort).toBe('Sports')
    expect(model.cohorts().map((c) => c.name)).not.toContain('Pets')
  })
})
