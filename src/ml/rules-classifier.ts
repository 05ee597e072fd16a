// A rules-based interest classifier over the taxonomy: phrase and n-gram matching against terms and
// named entities, plural folding, and typo tolerance through a SymSpell-style deletion index.
//
// Matching: the interest's words are segmented greedily, left to right, into the longest phrases the
// taxonomy knows (the whole text first, then shorter n-grams down to single words), so "tom brady" is
// one Sports entity and never "tom" plus "brady". A word with no exact or plural-folded match is
// corrected to a vocabulary word at edit distance 1 (2 from nine letters on) before matching.
//
// Scoring: each match votes for every cohort that lists it, with a weight — an entity (1.0) outweighs a
// multi-word term (0.9), which outweighs a single-word term (0.7) — and the match holding the head word
// (the last content word: "shoes" in "nike shoes") counts fully while modifiers count 0.6. A corrected
// match counts 0.8. A cohort's score is its votes over the uncorrected total, scaled by how much of the
// text was understood, so "golf" scores 1, "golf asdf" 0.75 and "footbal" 0.8. Cohorts under a quarter
// of the best score are dropped as noise.
import type { CohortDefinition, CohortScore, InterestClassifier } from '../domain/types.ts'
import { COMMON_WORDS } from './common-words.ts'
import type { Taxonomy } from './taxonomy.ts'
import { damerauLevenshtein, deletions, foldedKeys, matchWords, pluralForms, STOPWORDS } from './text.ts'

const ENTITY_WEIGHT = 1.0
const PHRASE_WEIGHT = 0.9
const TERM_WEIGHT = 0.7
const MODIFIER_FACTOR = 0.6
const TYPO_FACTOR = 0.8
const RELATIVE_CUTOFF = 0.25
const CACHE_SIZE = 50_000
/** Shorter words are too often a different real word one edit away ("golf" / "gold"). */
const MIN_TYPO_LENGTH = 5
const TWO_EDIT_LENGTH = 9

type EntryKind = 'entity' | 'term'

interface Entry {
  /** The taxonomy entry as written, for explanations. */
  phrase: string
  kind: EntryKind
  cohorts: string[]
}

/** One phrase of the interest that matched a taxonomy entry. */
export interface Match {
  /** The words of the interest that matched, as typed (normalized). */
  text: string
  /** The taxonomy entry they matched. */
  matched: string
  kind: EntryKind
  cohorts: string[]
  /** True when a word was typo-corrected to match. */
  corrected: boolean
  /** True when the match holds the head (last content) word of the interest. */
  head: boolean
  weight: number
}

export interface CohortExplanation extends CohortScore {
  /** The taxonomy entries that voted for this cohort. */
  matched: string[]
}

export interface Explanation {
  text: string
  /** Exactly what `classify` returns for the text. */
  cohorts: CohortScore[]
  /** The kept cohorts, best first, with the entries behind each. */
  byCohort: CohortExplanation[]
  matches: Match[]
}

interface Word {
  word: string
  corrected: boolean
}

export class RulesClassifier implements InterestClassifier {
  readonly version: string
  private readonly definitions: readonly CohortDefinition[]
  private readonly order = new Map<string, number>()
  private readonly exact = new Map<string, Entry>()
  private readonly folded = new Map<string, Entry>()
  private readonly vocabulary = new Set<string>()
  /** Every plural reading of every vocabulary word: a typed word meeting one is known, not a typo. */
  private readonly readings = new Set<string>()
  private readonly deletionIndex = new Map<string, string[]>()
  private readonly cache = new Map<string, readonly CohortScore[]>()
  /** First words (in every plural reading) of the multi-word entries: other words only match alone. */
  private readonly phraseStarts = new Set<string>()
  private maxWords = 1

  constructor(taxonomy: Taxonomy) {
    this.version = `rules-${taxonomy.version}`
    this.definitions = Object.freeze(
      taxonomy.cohorts.map(({ id, name, description, terms }) => Object.freeze({ id, name, description, terms: Object.freeze([...terms]) as string[] })),
    )
    taxonomy.cohorts.forEach((c, i) => this.order.set(c.name, i))
    for (const cohort of taxonomy.cohorts) {
      for (const entity of cohort.entities) this.add(entity, cohort.name, 'entity')
      for (const term of cohort.terms) this.add(term, cohort.name, 'term')
    }
    for (const word of this.vocabulary) {
      if (word.length < MIN_TYPO_LENGTH - 1 || /\d/.test(word)) continue
      // Inputs of TWO_EDIT_LENGTH letters or more may be two edits away, which reaches words two shorter.
      const depth = word.length + 2 >= TWO_EDIT_LENGTH ? 2 : 1
      for (const key of deletions(word, depth)) {
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
    let scores = this.cache.get(text)
    if (scores === undefined) {
      scores = this.explain(text).cohorts
      if (this.cache.size >= CACHE_SIZE) this.cache.clear()
      this.cache.set(text, scores)
    }
    // Copies, so a caller that sorts or edits its result can't change what the next caller gets.
    return scores.map((s) => ({ ...s }))
  }

  /** The classification with its reasons: which taxonomy entries matched, and for which cohorts. */
  explain(text: string): Explanation {
    const typed = matchWords(text)
    const nothing: Explanation = { text, cohorts: [], byCohort: [], matches: [] }
    let lastContent = -1
    typed.forEach((w, i) => {
      if (!STOPWORDS.has(w)) lastContent = i
    })
    if (lastContent < 0) return nothing
    const contentCount = typed.filter((w) => !STOPWORDS.has(w)).length
    const words = typed.map((w) => this.resolve(w))

    const matches: Match[] = []
    let covered = 0
    let total = 0
    let i = 0
    while (i < words.length) {
      const found = this.longestMatchAt(words, i)
      if (found === undefined) {
        i++
        continue
      }
      const { entry, length } = found
      const slice = words.slice(i, i + length)
      const head = i <= lastContent && lastContent < i + length
      const corrected = slice.some((w) => w.corrected)
      const base = entry.kind === 'entity' ? ENTITY_WEIGHT : length > 1 ? PHRASE_WEIGHT : TERM_WEIGHT
      const weight = base * (head ? 1 : MODIFIER_FACTOR)
      matches.push({
        text: typed.slice(i, i + length).join(' '),
        matched: entry.phrase,
        kind: entry.kind,
        cohorts: [...entry.cohorts],
        corrected,
        head,
        weight: round(weight * (corrected ? TYPO_FACTOR : 1)),
      })
      total += weight
      covered += slice.filter((w) => !STOPWORDS.has(w.word)).length
      i += length
    }
    if (matches.length === 0) return nothing

    const votes = new Map<string, { weight: number; matched: string[] }>()
    for (const m of matches) {
      for (const cohort of m.cohorts) {
        const vote = votes.get(cohort) ?? { weight: 0, matched: [] }
        vote.weight += m.weight
        if (!vote.matched.includes(m.matched)) vote.matched.push(m.matched)
        votes.set(cohort, vote)
      }
    }
    const understood = 0.5 + 0.5 * (covered / contentCount)
    const ranked = [...votes]
      .map(([cohort, vote]) => ({ cohort, score: round(Math.min(1, (vote.weight / total) * understood)), matched: vote.matched }))
      .sort((a, b) => b.score - a.score || (this.order.get(a.cohort) ?? 0) - (this.order.get(b.cohort) ?? 0))
    const best = ranked[0]?.score ?? 0
    const kept = ranked.filter((r) => r.score > 0 && r.score >= best * RELATIVE_CUTOFF)
    return {
      text,
      cohorts: kept.map(({ cohort, score }) => ({ cohort, score })),
      byCohort: kept,
      matches,
    }
  }

  private add(phrase: string, cohort: string, kind: EntryKind): void {
    const words = matchWords(phrase)
    if (words.length === 0) return
    for (const w of words) {
      this.vocabulary.add(w)
      for (const form of pluralForms(w)) this.readings.add(form)
    }
    this.maxWords = Math.max(this.maxWords, words.length)
    if (words.length > 1) for (const form of pluralForms(words[0] as string)) this.phraseStarts.add(form)
    mergeEntry(this.exact, words.join(' '), { phrase, kind, cohorts: [cohort] })
    for (const key of foldedKeys(words)) mergeEntry(this.folded, key, { phrase, kind, cohorts: [cohort] })
  }

  /** The longest taxonomy phrase starting at word `start`, exact readings before plural-folded ones. */
  private longestMatchAt(words: readonly Word[], start: number): { entry: Entry; length: number } | undefined {
    const first = words[start]?.word ?? ''
    const longest = pluralForms(first).some((f) => this.phraseStarts.has(f)) ? Math.min(this.maxWords, words.length - start) : 1
    for (let n = longest; n >= 1; n--) {
      const slice = words.slice(start, start + n).map((w) => w.word)
      if (n === 1 && STOPWORDS.has(slice[0] as string)) return undefined
      const entry = this.lookup(slice)
      if (entry) return { entry, length: n }
    }
    return undefined
  }

  private lookup(words: readonly string[]): Entry | undefined {
    const exact = this.exact.get(words.join(' '))
    if (exact) return exact
    for (const key of foldedKeys(words)) {
      const entry = this.folded.get(key)
      if (entry) return entry
    }
    return undefined
  }

  /**
   * The word as typed when the vocabulary knows it (or a plural of it) or it is an everyday English word;
   * otherwise its typo correction, when there is one.
   */
  private resolve(word: string): Word {
    if (STOPWORDS.has(word) || word.length < MIN_TYPO_LENGTH || /\d/.test(word)) return { word, corrected: false }
    const forms = pluralForms(word)
    if (forms.some((f) => this.readings.has(f) || COMMON_WORDS.has(f))) return { word, corrected: false }
    for (const form of forms) {
      const correction = this.correct(form)
      if (correction !== undefined) return { word: correction, corrected: true }
    }
    return { word, corrected: false }
  }

  /**
   * The closest vocabulary word within edit distance 1 (2 from nine letters on). Candidates come from the
   * deletion index: two words within distance d share a string reachable by at most d deletions from each.
   */
  private correct(word: string): string | undefined {
    if (word.length < MIN_TYPO_LENGTH) return undefined
    const max = word.length >= TWO_EDIT_LENGTH ? 2 : 1
    let best: string | undefined
    let bestDistance = max + 1
    for (const key of deletions(word, max)) {
      for (const candidate of this.deletionIndex.get(key) ?? []) {
        if (candidate === best) continue
        const d = damerauLevenshtein(word, candidate, max)
        if (d > max) continue
        if (d < bestDistance || (d === bestDistance && best !== undefined && this.prefer(candidate, best))) {
          best = candidate
          bestDistance = d
        }
      }
    }
    return best
  }

  /** Between equally close corrections, a word that is an entry on its own wins, then the alphabet. */
  private prefer(candidate: string, current: string): boolean {
    const candidateAlone = this.exact.has(candidate)
    const currentAlone = this.exact.has(current)
    if (candidateAlone !== currentAlone) return candidateAlone
    return candidate < current
  }
}

/** An entity is the stronger reading of the same words; entries of the same kind pool their cohorts. */
function mergeEntry(index: Map<string, Entry>, key: string, entry: Entry): void {
  const existing = index.get(key)
  if (!existing || (existing.kind === 'term' && entry.kind === 'entity')) {
    index.set(key, { ...entry, cohorts: [...entry.cohorts] })
    return
  }
  if (existing.kind !== entry.kind) return
  for (const c of entry.cohorts) if (!existing.cohorts.includes(c)) existing.cohorts.push(c)
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}
