// Text helpers for interest classification: normalization, tokens, n-grams, plural folding and a
// bounded Damerau-Levenshtein distance with the deletion neighbourhoods a SymSpell index is built from.

const WORD_CHAR = /[\p{L}\p{N}]/u
const ALREADY_NORMAL = /^[a-z0-9]+(?: [a-z0-9]+)*$/

/**
 * Canonical form of an interest text: NFKC, accents on Latin letters dropped ("pokémon" → "pokemon"),
 * lower case, punctuation and symbols turned into spaces, whitespace collapsed. `&` and `'` survive
 * only inside a word ("h&m", "levi's"); a free-standing "&" reads as "and", so "dolce & gabbana" and
 * "dolce and gabbana" are the same text. Marks on other scripts are kept: they are part of the letter.
 */
export function normalizeInterest(text: string): string {
  // Most interests arrive already normalized (validation lower-cases and trims them).
  if (ALREADY_NORMAL.test(text)) return text
  const chars = text
    .normalize('NFKD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`\u00b4]/g, "'")
    .replace(/[^\p{L}\p{M}\p{N}&']+/gu, ' ')
  let out = ''
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string
    if (c !== '&' && c !== "'") {
      out += c
      continue
    }
    const inside = WORD_CHAR.test(chars[i - 1] ?? '') && WORD_CHAR.test(chars[i + 1] ?? '')
    if (inside) out += c
    else if (c === '&') out += ' and '
    else out += ' '
  }
  return out.replace(/\s+/g, ' ').trim()
}

/** The words of a text after `normalizeInterest`; [] for a text with no words. */
export function tokens(text: string): string[] {
  const normalized = normalizeInterest(text)
  return normalized === '' ? [] : normalized.split(' ')
}

/** Every run of `n` consecutive tokens, joined by a space, left to right. */
export function ngrams(words: readonly string[], n: number): string[] {
  if (n < 1) return []
  const out: string[] = []
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '))
  return out
}

// Words that end in "s" but are not plurals of a word we would want to reach ("news" is not many "new").
const NOT_PLURAL = new Set(['news', 'blues', 'always', 'perhaps', 'series', 'species', 'lens'])

/**
 * Possible singular forms of a token, the token itself first: "shoes" → shoes, shoe; "boxes" → boxes,
 * box; "stories" → stories, story, storie; "movies" → movies, movy, movie. English spelling can't tell
 * "movies" from "stories" without a dictionary, so the classifier indexes every reading and matches
 * when an input reading meets an indexed one. Only plural endings are folded, never verb forms.
 */
export function pluralForms(token: string): string[] {
  if (token.length <= 3 || /\d/.test(token) || NOT_PLURAL.has(token) || !token.endsWith('s')) return [token]
  if (/(ss|us|is|'s)$/.test(token)) return [token]
  const forms = [token]
  if (token.endsWith('ies') && token.length > 4) forms.push(`${token.slice(0, -3)}y`)
  if (/(s|x|z|ch|sh|o)es$/.test(token)) forms.push(token.slice(0, -2))
  forms.push(token.slice(0, -1))
  return forms
}

/** Best-guess singular for display and checks: "shoes" → "shoe", "stories" → "story", "boxes" → "box". */
export function singular(token: string): string {
  const forms = pluralForms(token)
  if (forms.length === 1) return token
  if (token.endsWith('ies')) return `${token.slice(0, -3)}y`
  // "-oes" is ambiguous ("tomatoes", "shoes"); the shorter reading is only kept for matching.
  if (/(s|x|z|ch|sh)es$/.test(token)) return token.slice(0, -2)
  return token.slice(0, -1)
}

/**
 * The words the classifier matches on: the tokens with apostrophes dropped, so "levi's", "levis" and
 * "mcdonald's" / "mcdonalds" meet.
 */
export function matchWords(text: string): string[] {
  return tokens(text).map((t) => t.replaceAll("'", ''))
}

/**
 * Every plural-folded reading of a phrase, the exact one first: "index funds" → "index funds",
 * "index fund". Bounded, because each word has at most four readings and phrases are short.
 */
export function foldedKeys(words: readonly string[], limit = 64): string[] {
  let keys = ['']
  for (const word of words) {
    const next: string[] = []
    for (const key of keys) {
      for (const form of pluralForms(word)) {
        if (next.length < limit) next.push(key === '' ? form : `${key} ${form}`)
      }
    }
    keys = next
  }
  return words.length === 0 ? [] : keys
}

/**
 * Damerau-Levenshtein distance (optimal string alignment: adjacent transpositions count 1), or
 * `max + 1` as soon as it is certain to exceed `max`. Three rolling rows, so no per-call matrix.
 */
export function damerauLevenshtein(a: string, b: string, max: number): number {
  if (a === b) return 0
  if (Math.abs(a.length - b.length) > max) return max + 1
  if (a.length === 0 || b.length === 0) return Math.max(a.length, b.length)
  const cols = b.length + 1
  let before = new Array<number>(cols).fill(0)
  let previous = Array.from({ length: cols }, (_, j) => j)
  let current = new Array<number>(cols).fill(0)
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    let rowMin = i
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (before[j - 2] as number) + 1)
      current[j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin > max) return max + 1
    const recycled = before
    before = previous
    previous = current
    current = recycled
  }
  const distance = previous[cols - 1] as number
  return distance > max ? max + 1 : distance
}

/** The word and every string obtained by deleting up to `depth` of its characters (SymSpell's keys). */
export function deletions(word: string, depth: number): Set<string> {
  const out = new Set<string>([word])
  let frontier = [word]
  for (let level = 0; level < depth; level++) {
    const next: string[] = []
    for (const w of frontier) {
      for (let i = 0; i < w.length; i++) {
        const d = w.slice(0, i) + w.slice(i + 1)
        if (!out.has(d)) {
          out.add(d)
          next.push(d)
        }
      }
    }
    frontier = next
  }
  return out
}

/** Words that carry no interest on their own: they never match alone and are never typo-corrected. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  [
    'a an the and or of in on at to for with from by about into over under my our your their his her its',
    'i me we you they it this that these those is are was were be been am do does did have has had not no',
    'very really so too just also like likes love loves loving enjoy enjoys enjoying fan fans big huge some',
    'any all more most stuff things thing lot lots watching playing doing going getting interested interest',
    'interests new best good great top',
  ]
    .join(' ')
    .split(' '),
)
