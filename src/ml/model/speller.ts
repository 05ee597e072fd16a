// Spell correction of rare words. Domain words (gazetteer, training terms) sit in a symmetric-delete
// index (SymSpell, one deletion on the dictionary side) and are reached at edit distance 1, or 2 for
// words of 8+ letters; the most common vector words are reached at distance 1 by generating the
// input's edits, which needs no index and keeps loading fast. Domain words win ties, then frequency.
import { damerauLevenshtein } from '../text.ts'

export interface Speller {
  /** The best correction of `word`, or null when it should stay as it is or nothing is close. */
  correct(word: string): string | null
  /**
   * Every correction within reach, best first ([] when the word should stay). Words of three letters
   * are included here: callers accept those only when the context confirms them.
   */
  candidates(word: string): readonly string[]
}

export interface SpellerInput {
  domainWords: ReadonlySet<string>
  /** A word's frequency rank in the vectors (0 = most common), undefined when it has no vector. */
  rank: (word: string) => number | undefined
  /** Words ranked below this are common enough to be corrections too (at distance 1). */
  commonRank: number
  /** Words ranked at least this far down (or absent) are "rare" and get corrected. */
  rareRank: number
}

const LONG_WORD = 8

export function buildSpeller(input: SpellerInput): Speller {
  const dictionary: string[] = []
  const seen = new Set<string>()
  const addWord = (w: string) => {
    if (w.length < 3 || seen.has(w) || !/^[a-z]+$/.test(w)) return
    seen.add(w)
    dictionary.push(w)
  }
  for (const w of input.domainWords) addWord(w)
  const index = new Map<string, number[]>()
  const put = (key: string, id: number) => {
    const list = index.get(key)
    if (list) {
      if (list[list.length - 1] !== id) list.push(id)
    } else index.set(key, [id])
  }
  dictionary.forEach((w, id) => {
    put(w, id)
    for (let i = 0; i < w.length; i++) put(w.slice(0, i) + w.slice(i + 1), id)
  })
  function lookup(word: string): string[] {
    const max = word.length >= LONG_WORD ? 2 : 1
    const keys = new Set<string>([word])
    for (let i = 0; i < word.length; i++) {
      const once = word.slice(0, i) + word.slice(i + 1)
      keys.add(once)
      if (max === 2) for (let j = i; j < once.length; j++) keys.add(once.slice(0, j) + once.slice(j + 1))
    }
    const rankOf = (w: string) => input.rank(w) ?? Number.MAX_SAFE_INTEGER
    const found = new Map<string, [number, number, number]>()
    const inVocabulary = input.rank(word) !== undefined
    for (const key of keys) {
      for (const id of index.get(key) ?? []) {
        const candidate = dictionary[id] as string
        if (candidate === word) continue
        const isDomain = input.domainWords.has(candidate)
        // A real (if rare) word is only moved onto a domain word: "lyft" stays, "footbal" moves.
        if (inVocabulary && !isDomain) continue
        const distance = damerauLevenshtein(word, candidate, max)
        if (distance > max) continue
        found.set(candidate, [distance, isDomain ? 0 : 1, rankOf(candidate)])
      }
    }
    // Common words at distance 1: every single edit of the input, checked against the vectors.
    if (!inVocabulary) {
      for (const edit of singleEdits(word)) {
        if (found.has(edit) || edit === word) continue
        const rank = input.rank(edit)
        if (rank !== undefined && rank < input.commonRank) found.set(edit, [1, input.domainWords.has(edit) ? 0 : 1, rank])
      }
    }
    return [...found]
      .sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
      .slice(0, 12)
      .map(([candidate]) => candidate)
  }

  const cache = new Map<string, readonly string[]>()
  function candidates(word: string): readonly string[] {
    if (word.length < 3 || input.domainWords.has(word) || !/^[a-z]+$/.test(word)) return []
    const rank = input.rank(word)
    if (rank !== undefined && rank < input.rareRank) return []
    const cached = cache.get(word)
    if (cached !== undefined) return cached
    const result = lookup(word)
    if (cache.size > 20_000) cache.clear()
    cache.set(word, result)
    return result
  }

  return {
    correct: (word) => (word.length < 4 ? null : (candidates(word)[0] ?? null)),
    candidates,
  }
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'

/** Every string one deletion, transposition, substitution or insertion away from `word`. */
function singleEdits(word: string): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i <= word.length; i++) {
    const head = word.slice(0, i)
    const tail = word.slice(i)
    if (tail.length > 0) out.add(head + tail.slice(1))
    if (tail.length > 1) out.add(head + (tail[1] as string) + (tail[0] as string) + tail.slice(2))
    for (const c of LETTERS) {
      if (tail.length > 0) out.add(head + c + tail.slice(1))
      out.add(head + c + tail)
    }
  }
  return out
}
