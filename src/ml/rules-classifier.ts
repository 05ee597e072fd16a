// A rules-based interest classifier over the taxonomy: phrase and n-gram matching against terms and
// named entities, plural folding, and typo tolerance through a SymSpell-style deletion index.
//
// Scoring: the interest is segmented greedily into the longest known phrases. Each match votes for its
// cohorts with a weight — an entity outweighs a multi-word term, which outweighs a single term — and
// the match holding the last word (the head: "shoes" in "nike shoes") counts more than its modifiers.
// A cohort's score is its share of the votes, scaled by how much of the text was understood, so
// "golf" is confidently Sports while "golf asdf qwer" is less so. A typo-corrected match counts 0.8.
import type { CohortDefinition, CohortScore, InterestClassifier } from '../domain/types.ts'
import type { Taxonomy } from './taxonomy.ts'
import { deletions, editDistance, foldPhrase, foldPlural, STOPWORDS, tokenize } from './text.ts'

const MAX_PHRASE_WORDS = 5
const CACHE_SIZE = 50_000
const ENTITY_WEIGHT = 1.0
const PHRASE_WEIGHT = 0.9
const TERM_WEIGHT = 0.7
const MODIFIER_FACTOR = 0.6
const TYPO_FACTOR = 0.8
const RELATIVE_CUTOFF = 0.25

interface Entry {
  cohorts: string[]
  kind: 'entity' | 'term'
  phrase: string
}

export interface Match {
  phrase: string
  matched: string
  kind: 'entity' | 'term'
  cohorts: string[]
  corrected: boolean
  weight: number
}

export interface Explanation {
  text: string
  cohorts: CohortScore[]
  matches: Match[]
}

export class RulesClassifier implements InterestClassifier {
  readonly version: string
  private readonly definitions: CohortDefinition[]
  private readonly index = new Map<string, Entry>()
  private readonly words = new Set<string>()
  private readonly deletionIndex = new Map<string, string[]>()
  private readonly cache = new Map<string, CohortScore[]>()

  constructor(taxonomy: Taxonomy) {
    this.version = `rules-${taxonomy.version}`
    this.definitions = taxonomy.cohorts.map(({ id, name, description, terms }) => ({ id, name, description, terms }))
    for (const cohort of taxonomy.cohorts) {
      for (const entity of cohort.entities) this.add(entity, cohort.name, 'entity')
      for (const term of cohort.terms) this.add(term, cohort.name, 'term')
    }
    for (const word of this.words) {
      if (word.length < 4) continue
      for (const key of deletions(word, word.length >= 8 ? 2 : 1)) {
        const list = this.deletionIndex.get(key)
        if (list) list.push(word)
        else this.deletionIndex.set(key, [word])
      }
    }
  }

  cohorts(): readonly CohortDefinition[] {
    return this.definitions
  }

  classify(text: string): CohortScore[] {
    const cached = this.cache.get(text)
    if (cached) return cached
    const result = this.explain(text).cohorts
    if (this.cache.size >= CACHE_SIZE) this.cache.clear()
    this.cache.set(text, result)
    return result
  }

  explain(text: string): Explanation {
    const tokens = tokenize(text)
    const content = tokens.filter((t) => !STOPWORDS.has(t))
    if (content.length === 0) return { text, cohorts: [], matches: [] }
    const corrected = tokens.map((t) => (STOPWORDS.has(t) || this.knows(t) ? { token: t, corrected: false } : this.correct(t)))
    const matches: Match[] = []
    let covered = 0
    let i = 0
    while (i < corrected.length) {
      let found = false
      for (let n = Math.min(MAX_PHRASE_WORDS, corrected.length - i); n >= 1; n--) {
        const slice = corrected.slice(i, i + n)
        if (n === 1 && STOPWORDS.has(slice[0]?.token ?? '')) break
        const entry = this.lookup(slice.map((s) => s.token))
        if (!entry) continue
        const isHead = i + n === corrected.length || corrected.slice(i + n).every((s) => STOPWORDS.has(s.token))
        const wasCorrected = slice.some((s) => s.corrected)
        const base = entry.kind === 'entity' ? ENTITY_WEIGHT : entry.phrase.includes(' ') ? PHRASE_WEIGHT : TERM_WEIGHT
        matches.push({
          phrase: tokens.slice(i, i + n).join(' '),
          matched: entry.phrase,
          kind: entry.kind,
          cohorts: entry.cohorts,
          corrected: wasCorrected,
          weight: base * (isHead ? 1 : MODIFIER_FACTOR) * (wasCorrected ? TYPO_FACTOR : 1),
        })
        covered += slice.filter((s) => !STOPWORDS.has(s.token)).length
        i += n
        found = true
        break
      }
      if (!found) i++
    }
    if (matches.length === 0) return { text, cohorts: [], matches }

    const votes = new Map<string, number>()
    let total = 0
    for (const m of matches) {
      const share = m.weight / m.cohorts.length
      for (const c of m.cohorts) votes.set(c, (votes.get(c) ?? 0) + share)
      total += m.weight
    }
    const coverage = covered / content.length
    const typoPenalty = matches.every((m) => m.corrected) ? TYPO_FACTOR : 1
    const scores = [...votes]
      .map(([cohort, v]) => ({ cohort, score: round((v / total) * (0.5 + 0.5 * coverage) * typoPenalty) }))
      .sort((a, b) => b.score - a.score || (a.cohort < b.cohort ? -1 : 1))
    const top = scores[0]?.score ?? 0
    return { text, cohorts: scores.filter((s) => s.score >= top * RELATIVE_CUTOFF), matches }
  }

  private add(phrase: string, cohort: string, kind: 'entity' | 'term'): void {
    const tokens = tokenize(phrase)
    if (tokens.length === 0) return
    for (const t of tokens) this.words.add(t)
    for (const key of new Set([tokens.join(' '), foldPhrase(tokens)])) {
      const existing = this.index.get(key)
      if (!existing) {
        this.index.set(key, { cohorts: [cohort], kind, phrase: tokens.join(' ') })
      } else if (existing.kind === 'term' && kind === 'entity') {
        // An entity is the stronger reading of the same words.
        this.index.set(key, { cohorts: [cohort], kind, phrase: tokens.join(' ') })
      } else if (existing.kind === kind && !existing.cohorts.includes(cohort)) {
        existing.cohorts.push(cohort)
      }
    }
  }

  private knows(token: string): boolean {
    return this.words.has(token) || this.words.has(foldPlural(token)) || /\d/.test(token) || token.length < 4
  }

  private lookup(tokens: string[]): Entry | undefined {
    return this.index.get(tokens.join(' ')) ?? this.index.get(foldPhrase(tokens))
  }

  /** The closest vocabulary word within edit distance 1 (2 for long words), or the token unchanged. */
  private correct(token: string): { token: string; corrected: boolean } {
    const max = token.length >= 8 ? 2 : 1
    let best: string | undefined
    let bestDistance = max + 1
    for (const key of deletions(token, max)) {
      for (const candidate of this.deletionIndex.get(key) ?? []) {
        const d = editDistance(token, candidate, max)
        if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
          best = candidate
          bestDistance = d
        }
      }
    }
    return best !== undefined && bestDistance <= max ? { token: best, corrected: true } : { token, corrected: false }
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}
