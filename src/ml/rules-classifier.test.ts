import { describe, expect, it } from 'vitest'
import { RulesClassifier } from './rules-classifier.ts'
import { loadTaxonomy, parseTaxonomy, sharedTerms } from './taxonomy.ts'

const taxonomy = loadTaxonomy()
const classifier = new RulesClassifier(taxonomy)
const top = (text: string) => classifier.classify(text)[0]?.cohort

describe('taxonomy', () => {
  it('defines the twelve default cohorts with descriptions, terms and entities', () => {
    expect(taxonomy.cohorts.map((c) => c.name)).toEqual([
      'Sports', 'Technology', 'Finance', 'Entertainment', 'Fashion', 'Travel', 'Food & Drink', 'Health & Fitness', 'Automotive', 'Home & Garden', 'Education', 'Gaming',
    ])
    for (const c of taxonomy.cohorts) {
      expect(c.terms.length).toBeGreaterThan(30)
      expect(c.entities.length).toBeGreaterThan(30)
    }
  })

  it('shares only deliberate terms between cohorts', () => {
    expect([...sharedTerms(taxonomy).keys()]).toEqual(['twitch'])
  })

  it('says what is wrong with a bad taxonomy', () => {
    expect(() => parseTaxonomy({ version: '1', cohorts: [{ id: 'sports', name: 'Sports', description: 'x', terms: [] }] })).toThrow(/cohorts\.0\.id/)
  })
})

describe('RulesClassifier', () => {
  it.each([
    ['Tom Brady', 'Sports'],
    ['Nike shoes', 'Fashion'],
    ['index fund investing', 'Finance'],
    ['Ethereum', 'Finance'],
    ['taylor swift', 'Entertainment'],
    ['fortnite', 'Gaming'],
    ['Tesla Model 3', 'Automotive'],
    ['sushi', 'Food & Drink'],
    ['yoga', 'Health & Fitness'],
    ['crcket', 'Sports'],
    ['footbal', 'Sports'],
    ['lionel mesi', 'Sports'],
    ['machine learning', 'Technology'],
    ['houseplants', 'Home & Garden'],
    ['online courses', 'Education'],
    ['trips to bali', 'Travel'],
  ])('puts %j in %s', (text, cohort) => {
    expect(top(text)).toBe(cohort)
  })

  it('keeps Tom Brady out of Entertainment', () => {
    expect(classifier.classify('Tom Brady').map((s) => s.cohort)).not.toContain('Entertainment')
  })

  it.each(['asdfgh', 'tuesday', 'the', '', '   ', 'blue', 'qwerty uiop'])('finds no cohort for %j', (text) => {
    expect(classifier.classify(text)).toEqual([])
  })

  it('is insensitive to case and spacing', () => {
    expect(classifier.classify('  TOM   brady ')).toEqual(classifier.classify('tom brady'))
  })

  it('classifies every taxonomy entity into its own cohort', () => {
    const misses: string[] = []
    for (const cohort of taxonomy.cohorts) {
      for (const entity of cohort.entities) {
        const scores = classifier.classify(entity)
        const best = scores[0]?.score ?? 0
        if (!scores.some((s) => s.cohort === cohort.name && s.score === best)) misses.push(`${entity} → ${scores[0]?.cohort}`)
      }
    }
    expect(misses).toEqual([])
  })

  it('explains which entries matched', () => {
    expect(classifier.explain('nike shoes').matches.map((m) => [m.matched, m.kind])).toEqual([
      ['nike', 'entity'],
      ['shoes', 'term'],
    ])
  })
})
