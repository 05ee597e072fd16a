// Text normalization for the interest model. Kept apart from the rules classifier's helpers so the two
// can evolve independently; the model's files were built with exactly these rules.

/**
 * Canonical form of an interest: accents dropped, lower case, "&" read as "and", apostrophes removed
 * ("levi's" → "levis"), every other non-alphanumeric run turned into one space.
 */
export function normalizeText(text: string): string {
  if (/^[a-z0-9]+(?: [a-z0-9]+)*$/.test(text)) return text
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    // Names that are only punctuation apart from a letter: "c++" and "c#" must not both become "c".
    .replace(/(^|\s)([cf])(\+\+|#)(?=\s|$)/g, (_m, space: string, letter: string, mark: string) => `${space}${letter}${mark === '#' ? 'sharp' : 'plusplus'}`)
    .replace(/&/g, ' and ')
    .replace(/['\u2018\u2019\u02bc`\u00b4]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/** The words of a text after `normalizeText`; [] when it has none. */
export function words(text: string): string[] {
  const normalized = normalizeText(text)
  return normalized === '' ? [] : normalized.split(' ')
}

/** Words that say nothing about a topic on their own; they never count as "known" evidence. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or of in on at to for with from by about into over under my our your their his her its ' +
    'i me we you they it this that these those is are was were be been am do does did have has had not no ' +
    'very really so too just also like likes love loves loving enjoy enjoys enjoying fan fans big huge some ' +
    'any all more most stuff things thing lot lots watching playing doing going getting interested interest ' +
    'interests new best good great top'
  ).split(' '),
)

/** FNV-1a, 32 bits: a fast, stable string hash for the hashing trick. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Mulberry32: a small seeded PRNG, so training and data generation are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

