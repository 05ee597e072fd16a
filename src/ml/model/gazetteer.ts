// The entity gazetteer: alias → cohorts, from data/model/gazetteer/<cohort>.txt (one alias per line;
// "alias | coh_other" adds cohorts after the file's own, primary first). Matching is exact on the whole
// phrase and on its word n-grams, also with spaces squeezed out ("tombrady", "play station"); typos are
// handled before matching, by correcting each word against the gazetteer's own words (see speller.ts).
import fs from 'node:fs'
import { normalizeText } from './text.ts'

export interface GazetteerEntry {
  alias: string // normalized
  cohorts: string[] // cohort ids, primary first
  source: string // file:line, for explanations and data checks
}

export interface Gazetteer {
  entries: Map<string, GazetteerEntry>
  /** The same entries keyed with spaces removed, for "tombrady" and "play station". */
  squeezed: Map<string, GazetteerEntry>
  /** Every word of every alias. */
  words: Set<string>
  maxWords: number
}

export interface GazetteerMatch {
  entry: GazetteerEntry
  start: number
  end: number // exclusive word index
  /** The match covers the whole phrase. */
  whole: boolean
}

export interface GazetteerProblem {
  kind: 'duplicate' | 'conflict' | 'unknown_cohort' | 'empty_alias' | 'bad_line'
  message: string
}

export function emptyGazetteer(): Gazetteer {
  return { entries: new Map(), squeezed: new Map(), words: new Set(), maxWords: 0 }
}

/** Adds one alias; returns a problem instead when the alias is already there. */
export function addAlias(gazetteer: Gazetteer, entry: GazetteerEntry): GazetteerProblem | null {
  const existing = gazetteer.entries.get(entry.alias)
  if (existing) {
    const same = existing.cohorts.join(' ') === entry.cohorts.join(' ')
    return {
      kind: same ? 'duplicate' : 'conflict',
      message: `${entry.source}: "${entry.alias}" is already listed at ${existing.source}` + (same ? '' : ` with other cohorts (${existing.cohorts.join(', ')} vs ${entry.cohorts.join(', ')})`),
    }
  }
  gazetteer.entries.set(entry.alias, entry)
  const squeezedKey = entry.alias.replaceAll(' ', '')
  if (squeezedKey.length >= 5 && !gazetteer.squeezed.has(squeezedKey)) gazetteer.squeezed.set(squeezedKey, entry)
  const aliasWords = entry.alias.split(' ')
  for (const word of aliasWords) gazetteer.words.add(word)
  gazetteer.maxWords = Math.max(gazetteer.maxWords, aliasWords.length)
  return null
}

/** Reads every <cohort>.txt in `dir`; returns the gazetteer and every problem found (the build fails on any). */
export function readGazetteer(dir: URL, cohortIds: readonly string[]): { gazetteer: Gazetteer; problems: GazetteerProblem[] } {
  const gazetteer = emptyGazetteer()
  const problems: GazetteerProblem[] = []
  const known = new Set(cohortIds)
  for (const id of cohortIds) {
    const name = `${id.replace(/^coh_/, '')}.txt`
    const file = new URL(name, dir)
    if (!fs.existsSync(file)) continue
    const lines = fs.readFileSync(file, 'utf8').split('\n')
    lines.forEach((raw, i) => {
      const line = raw.trim()
      if (line === '' || line.startsWith('#')) return
      const source = `${name}:${i + 1}`
      const [aliasPart, extraPart, ...rest] = line.split('|')
      if (rest.length > 0) return problems.push({ kind: 'bad_line', message: `${source}: more than one "|"` })
      const alias = normalizeText(aliasPart ?? '')
      if (alias === '') return problems.push({ kind: 'empty_alias', message: `${source}: "${line}" has no words` })
      const extra = (extraPart ?? '').trim().split(/[\s,]+/).filter((s) => s !== '')
      for (const other of extra) {
        if (!known.has(other)) problems.push({ kind: 'unknown_cohort', message: `${source}: unknown cohort ${other}` })
        if (other === id) problems.push({ kind: 'duplicate', message: `${source}: lists its own cohort ${id} twice` })
      }
      const problem = addAlias(gazetteer, { alias, cohorts: [id, ...extra.filter((c) => c !== id)], source })
      if (problem) problems.push(problem)
      return undefined
    })
  }
  return { gazetteer, problems }
}

/**
 * Every alias found in `words`, longest first; overlapping shorter matches inside a longer one are
 * dropped ("new york yankees" wins over "yankees" and "new york").
 */
export function matchGazetteer(gazetteer: Gazetteer, words: readonly string[]): GazetteerMatch[] {
  const matches: GazetteerMatch[] = []
  const covered = new Uint8Array(words.length)
  const longest = Math.min(words.length, Math.max(gazetteer.maxWords, 3))
  for (let n = longest; n >= 1; n--) {
    for (let start = 0; start + n <= words.length; start++) {
      let free = false
      for (let i = start; i < start + n; i++) if (covered[i] === 0) free = true
      if (!free) continue
      const slice = words.slice(start, start + n)
      const entry = lookupPhrase(gazetteer, slice)
      if (!entry) continue
      matches.push({ entry, start, end: start + n, whole: n === words.length })
      for (let i = start; i < start + n; i++) covered[i] = 1
    }
  }
  return matches
}

function lookupPhrase(gazetteer: Gazetteer, slice: readonly string[]): GazetteerEntry | undefined {
  const key = slice.join(' ')
  const exact = gazetteer.entries.get(key)
  if (exact) return exact
  // A plural last word: "gucci bags" is not an alias, but "dumpling" should find "dumplings" and back.
  const last = slice[slice.length - 1] as string
  if (last.length > 3) {
    const head = slice.slice(0, -1).join(' ')
    const alternative = last.endsWith('s') ? last.slice(0, -1) : `${last}s`
    const folded = gazetteer.entries.get(head === '' ? alternative : `${head} ${alternative}`)
    if (folded) return folded
  }
  const squeezed = slice.join('')
  return squeezed.length >= 5 ? gazetteer.squeezed.get(squeezed) : undefined
}

/** A copy of `normalizeText` for callers that build gazetteers from user input (custom cohorts). */
export function normalizeAlias(text: string): string {
  return normalizeText(text)
}
