import { describe, expect, it } from 'vitest'
import { RulesClassifier } from './rules-classifier.ts'
import { checkTaxonomy, loadTaxonomy, parseTaxonomy, type Taxonomy } from './taxonomy.ts'

const taxonomy = loadTaxonomy()
const classifier = new RulesClassifier(taxonomy)
const names = (text: string) => classifier.classify(text).map((s) => s.cohort)
const top = (text: string) => names(text)[0]

/** A one-cohort taxonomy for tests about validation. */
function aTaxonomy(overrides: Partial<Taxonomy['cohorts'][number]> = {}): unknown {
  return {
    version: 'test',
    cohorts: [{ id: 'coh_sports', name: 'Sports', description: 'People who follow sports.', terms: ['football'], entities: ['tom brady'], ...overrides }],
  }
}

describe('taxonomy', () => {
  it('defines the twelve default cohorts in order, each with 60–150 terms and 80–250 entities', () => {
    expect(taxonomy.cohorts.map((c) => [c.id, c.name])).toEqual([
      ['coh_sports', 'Sports'],
      ['coh_technology', 'Technology'],
      ['coh_finance', 'Finance'],
      ['coh_entertainment', 'Entertainment'],
      ['coh_fashion', 'Fashion'],
      ['coh_travel', 'Travel'],
      ['coh_food_drink', 'Food & Drink'],
      ['coh_health_fitness', 'Health & Fitness'],
      ['coh_automotive', 'Automotive'],
      ['coh_home_garden', 'Home & Garden'],
      ['coh_education', 'Education'],
      ['coh_gaming', 'Gaming'],
    ])
    for (const c of taxonomy.cohorts) {
      expect(c.terms.length, c.name).toBeGreaterThanOrEqual(60)
      expect(c.terms.length, c.name).toBeLessThanOrEqual(150)
      expect(c.entities.length, c.name).toBeGreaterThanOrEqual(80)
      expect(c.entities.length, c.name).toBeLessThanOrEqual(250)
    }
  })

  it('lists nike as a Fashion entity and sportswear as a Sports term', () => {
    expect(taxonomy.cohorts.find((c) => c.name === 'Fashion')?.entities).toContain('nike')
    expect(taxonomy.cohorts.find((c) => c.name === 'Sports')?.terms).toContain('sportswear')
  })

  it('has no duplicates and shares only the entries declared as shared', () => {
    expect(checkTaxonomy(taxonomy)).toEqual([])
    expect(taxonomy.shared).toEqual(expect.arrayContaining(['twitch', 'running shoes']))
  })

  it('warns about duplicates, undeclared sharing, plural clashes and stale shared entries', () => {
    const t = parseTaxonomy({
      version: 'test',
      shared: ['golf'],
      cohorts: [
        { id: 'coh_sports', name: 'Sports', description: 'People who follow sports.', terms: ['t-shirts', 't shirts', 'golf', 'bootcamp'], entities: ['nike'] },
        { id: 'coh_fashion', name: 'Fashion', description: 'People into fashion.', terms: ['bootcamps', 'shoes'], entities: ['nike'] },
      ],
    })
    expect(checkTaxonomy(t).map((w) => [w.kind, w.term, w.cohorts])).toEqual([
      ['duplicate', 't shirts', ['Sports']],
      ['shared', 'nike', ['Sports', 'Fashion']],
      ['plural_clash', 'bootcamp', ['Sports', 'Fashion']],
      ['stale_shared', 'golf', ['Sports']],
    ])
  })

  it.each([
    [{ id: 'sports' }, /cohorts\.0\.id: must look like coh_sports/],
    [{ terms: [] }, /cohorts\.0\.terms: must list at least one term/],
    [{ terms: ['Football'] }, /cohorts\.0\.terms\.0: must be trimmed lower-case text \(got "Football"\)/],
    [{ entities: ['the'] }, /cohorts\.0\.entities\.0: must contain a word that is not a stopword/],
    [{ description: 'x' }, /cohorts\.0\.description/],
  ])('rejects a bad cohort %j, saying what is wrong', (overrides, message) => {
    expect(() => parseTaxonomy(aTaxonomy(overrides as Partial<Taxonomy['cohorts'][number]>))).toThrow(message)
  })

  it('rejects unknown keys, repeated ids and a missing version', () => {
    expect(() => parseTaxonomy(aTaxonomy({ entites: [] } as never))).toThrow(/entites/)
    const base = aTaxonomy() as { cohorts: unknown[] }
    expect(() => parseTaxonomy({ version: 'x', cohorts: [...base.cohorts, ...base.cohorts] })).toThrow(/coh_sports appears twice/)
    expect(() => parseTaxonomy({ cohorts: base.cohorts })).toThrow(/version/)
  })

  it('names the file when it cannot be read or parsed', () => {
    expect(() => loadTaxonomy('/nonexistent/taxonomy.json')).toThrow(/cannot read taxonomy \/nonexistent\/taxonomy\.json/)
    expect(() => loadTaxonomy(new URL('../../package-lock.json', import.meta.url))).toThrow(/not a valid taxonomy/)
  })
})

describe('RulesClassifier', () => {
  it.each([
    ['Tom Brady', 'Sports'],
    ['Nike shoes', 'Fashion'],
    ['crcket', 'Sports'],
    ['footbal', 'Sports'],
    ['index fund investing', 'Finance'],
    ['ethereum', 'Finance'],
    ['taylor swift', 'Entertainment'],
    ['fortnite', 'Gaming'],
    ['tesla model 3', 'Automotive'],
    ['sushi', 'Food & Drink'],
    ['yoga', 'Health & Fitness'],
    ['machine learning', 'Technology'],
    ['houseplants', 'Home & Garden'],
    ['online courses', 'Education'],
    ['trips to bali', 'Travel'],
    ['leonel messi', 'Sports'],
    ['index funds', 'Finance'],
    ['Pokémon', 'Gaming'],
    ['levis jeans', 'Fashion'],
    ['dolce and gabbana', 'Fashion'],
    ['I love watching the NBA!', 'Sports'],
  ])('puts %j in %s first', (text, cohort) => {
    expect(top(text)).toBe(cohort)
  })

  it('keeps Tom Brady in Sports only', () => {
    expect(names('Tom Brady')).toEqual(['Sports'])
  })

  it('reads "nike shoes" as Fashion, with no Sports unless a word supports it', () => {
    expect(names('nike shoes')).toEqual(['Fashion'])
    expect(names('running shoes')).toEqual(expect.arrayContaining(['Sports', 'Fashion']))
    expect(names('nike running shoes').slice(0, 2)).toEqual(['Fashion', 'Sports'])
  })

  it('weighs the head word above its modifiers', () => {
    const [first, second] = classifier.classify('football shoes')
    expect(first?.cohort).toBe('Fashion')
    expect(second?.cohort).toBe('Sports')
    expect(second?.score).toBeLessThan(first?.score ?? 0)
  })

  it('discounts typo corrections and text it could not understand', () => {
    expect(classifier.classify('football')).toEqual([{ cohort: 'Sports', score: 1 }])
    expect(classifier.classify('footbal')).toEqual([{ cohort: 'Sports', score: 0.8 }])
    expect(classifier.classify('golf asdfgh')).toEqual([{ cohort: 'Sports', score: 0.75 }])
  })

  it('corrects two typos in long words but never short ones', () => {
    expect(top('basktbal')).toBeUndefined() // 8 letters: one edit only, and this is two away
    expect(top('basktball')).toBe('Sports') // 9 letters: two edits allowed
    expect(names('golg')).toEqual([]) // too short to correct
  })

  it('leaves everyday words alone instead of "correcting" them into the taxonomy', () => {
    expect(names('wedding')).toEqual([])
    expect(names('phones')).toEqual([])
    expect(top('coffee shops')).toBe('Food & Drink')
    expect(classifier.explain('coffee shops').matches.map((m) => m.matched)).toEqual(['coffee'])
  })

  it.each(['asdfgh', 'tuesday', 'the', '', '   ', 'blue', 'qwerty uiop', '!!!', 'and the of'])('finds no cohort for %j', (text) => {
    expect(classifier.classify(text)).toEqual([])
  })

  it('returns scores in 0..1, best first, none under a quarter of the best', () => {
    for (const text of ['nike running shoes', 'gaming laptop', 'travel photography', 'sports betting crypto', 'twitch']) {
      const scores = classifier.classify(text)
      expect(scores.length).toBeGreaterThan(0)
      const best = scores[0]?.score ?? 0
      expect(best).toBeLessThanOrEqual(1)
      for (const [i, s] of scores.entries()) {
        expect(s.score).toBeGreaterThan(0)
        expect(s.score).toBeGreaterThanOrEqual(best * 0.25)
        if (i > 0) expect(s.score).toBeLessThanOrEqual(scores[i - 1]?.score ?? 1)
      }
    }
  })

  it('is insensitive to case, spacing and punctuation', () => {
    const expected = classifier.classify('tom brady')
    for (const text of ['  TOM   brady ', 'Tom Brady!', 'tom\tbrady', '“Tom Brady”']) expect(classifier.classify(text)).toEqual(expected)
  })

  it('classifies every taxonomy entity into its own cohort, at the top or tied for it', () => {
    const misses: string[] = []
    for (const cohort of taxonomy.cohorts) {
      for (const entity of cohort.entities) {
        const scores = classifier.classify(entity)
        const best = scores[0]?.score ?? 0
        if (!scores.some((s) => s.cohort === cohort.name && s.score === best)) misses.push(`${entity} (${cohort.name}) → ${JSON.stringify(scores)}`)
      }
    }
    expect(misses).toEqual([])
  })

  it('classifies every taxonomy term into its own cohort, unless an entity claims the same words', () => {
    const entities = new Set(taxonomy.cohorts.flatMap((c) => c.entities))
    const misses: string[] = []
    for (const cohort of taxonomy.cohorts) {
      for (const term of cohort.terms) {
        if (entities.has(term)) continue
        if (!names(term).includes(cohort.name)) misses.push(`${term} (${cohort.name}) → ${names(term).join(', ')}`)
      }
    }
    expect(misses).toEqual([])
  })

  it('explains which entries matched, per cohort', () => {
    const explanation = classifier.explain('nike running shoes')
    expect(explanation.cohorts).toEqual(classifier.classify('nike running shoes'))
    expect(explanation.matches.map((m) => [m.matched, m.kind, m.head])).toEqual([
      ['nike', 'entity', false],
      ['running shoes', 'term', true],
    ])
    expect(explanation.byCohort.map((c) => [c.cohort, c.matched])).toEqual([
      ['Fashion', ['nike', 'running shoes']],
      ['Sports', ['running shoes']],
    ])
    expect(classifier.explain('footbal').matches[0]).toMatchObject({ text: 'footbal', matched: 'football', corrected: true })
  })

  it('exposes its version and the cohort definitions without entities', () => {
    expect(classifier.version).toBe(`rules-${taxonomy.version}`)
    const sports = classifier.cohorts()[0]
    expect(sports).toEqual({ id: 'coh_sports', name: 'Sports', description: expect.any(String), terms: expect.arrayContaining(['football']) })
  })

  it('serves repeated texts from its cache without sharing mutable results', () => {
    const first = classifier.classify('sushi')
    first.push({ cohort: 'Gaming', score: 1 })
    expect(classifier.classify('sushi')).toEqual([{ cohort: 'Food & Drink', score: 1 }])
  })

  it('classifies tens of thousands of interests per second', () => {
    const fresh = new RulesClassifier(taxonomy)
    const texts = taxonomy.cohorts.flatMap((c) => [...c.terms, ...c.entities]).flatMap((t) => [t, `${t} fan`, `i like ${t}x`])
    const started = performance.now()
    for (const text of texts) fresh.classify(text)
    const perSecond = texts.length / ((performance.now() - started) / 1000)
    expect(perSecond).toBeGreaterThan(5_000) // loose: typically far higher; this only catches a pathological slowdown
  })
})
