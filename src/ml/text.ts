// Text helpers shared by the classifiers: normalization, tokens, plural folding, edit distance.

export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}&'+.\-\s]/gu, ' ')
    .replace(/(^|\s)['.-]+|['.-]+(?=\s|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
}

export function tokenize(text: string): string[] {
  const normalized = normalizeText(text)
  return normalized === '' ? [] : normalized.split(' ')
}

/** Folds English plurals so that "shoes" finds "shoe" and "recipes" finds "recipe". */
export function foldPlural(token: string): string {
  if (token.length <= 3 || /\d/.test(token)) return token
  if (token.endsWith('ies') && token.length > 4) return `${token.slice(0, -3)}y`
  if (/(ss|sh|ch|x|z)es$/.test(token)) return token.slice(0, -2)
  if (token.endsWith('s') && !token.endsWith('ss') && !token.endsWith('us') && !token.endsWith('is')) return token.slice(0, -1)
  return token
}

export function foldPhrase(tokens: readonly string[]): string {
  return tokens.map(foldPlural).join(' ')
}

/** Damerau-Levenshtein (optimal string alignment) distance, or max + 1 when it exceeds max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    let rowMin = Number.POSITIVE_INFINITY
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min((d[(i - 1) * cols + j] as number) + 1, (d[i * cols + j - 1] as number) + 1, (d[(i - 1) * cols + j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1)
      d[i * cols + j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin > max) return max + 1
  }
  return d[rows * cols - 1] as number
}

/** Every string obtained by deleting up to `depth` characters (SymSpell's index keys). */
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

export const STOPWORDS = new Set(
  'a an the and or of in on at to for with from by about into over my our your their his her its i me we you they it this that these those is are was were be been am do does did have has had not no very really so too just also like love loves loving enjoy enjoys enjoying into fan fans big huge some any all more most stuff things thing lot lots watching playing doing going getting interested interest interests'.split(
    ' ',
  ),
)
