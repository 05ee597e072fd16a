// The taxonomy: the default cohorts, each with a description, generic terms and named entities.
// Data, not code: data/taxonomy.json, validated here so a bad edit fails at startup with a clear message.
import fs from 'node:fs'
import { z } from 'zod'
import type { CohortDefinition } from '../domain/types.ts'
import { foldedKeys, matchWords, STOPWORDS } from './text.ts'

const entrySchema = z
  .string()
  .refine((s) => s === s.trim().toLowerCase(), { error: (issue) => `must be trimmed lower-case text (got ${JSON.stringify(issue.input)})` })
  .refine((s) => matchWords(s).some((w) => !STOPWORDS.has(w)), {
    error: (issue) => `must contain a word that is not a stopword (got ${JSON.stringify(issue.input)})`,
  })

const cohortSchema = z.strictObject({
  id: z.string().regex(/^coh_[a-z0-9_]+$/, 'must look like coh_sports'),
  name: z.string().min(1, 'must not be empty'),
  description: z.string().min(10, 'must be a sentence (at least 10 characters)'),
  terms: z.array(entrySchema).min(1, 'must list at least one term'),
  entities: z.array(entrySchema).default([]),
})

const taxonomySchema = z.strictObject({
  version: z.string().min(1, 'must not be empty'),
  cohorts: z.array(cohortSchema).min(1, 'must list at least one cohort'),
  /** Terms deliberately listed under several cohorts ("twitch": Gaming and Entertainment). */
  shared: z.array(entrySchema).default([]),
})

export interface TaxonomyCohort extends CohortDefinition {
  entities: string[]
}

export interface Taxonomy {
  version: string
  cohorts: TaxonomyCohort[]
  /** Terms or entities deliberately listed under several cohorts; `checkTaxonomy` stays quiet about them. */
  shared: string[]
}

export const DEFAULT_TAXONOMY_PATH = new URL('../../data/taxonomy.json', import.meta.url)

/** Validates a parsed taxonomy; throws naming every problem (`cohorts.3.terms.7: must be …`). */
export function parseTaxonomy(value: unknown, origin = 'taxonomy'): Taxonomy {
  const parsed = taxonomySchema.safeParse(value)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new Error(`${origin} is not a valid taxonomy: ${problems}`)
  }
  const ids = new Set<string>()
  const names = new Set<string>()
  for (const c of parsed.data.cohorts) {
    if (ids.has(c.id)) throw new Error(`${origin} is not a valid taxonomy: cohort id ${c.id} appears twice`)
    if (names.has(c.name.toLowerCase())) throw new Error(`${origin} is not a valid taxonomy: cohort name ${c.name} appears twice`)
    ids.add(c.id)
    names.add(c.name.toLowerCase())
  }
  return parsed.data
}

/** Reads and validates a taxonomy file; the default is the one shipped in data/taxonomy.json. */
export function loadTaxonomy(path: string | URL = DEFAULT_TAXONOMY_PATH): Taxonomy {
  const origin = path instanceof URL ? path.pathname : path
  let text: string
  try {
    text = fs.readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read taxonomy ${origin}: ${(error as Error).message}`, { cause: error })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`taxonomy ${origin} is not valid JSON: ${(error as Error).message}`, { cause: error })
  }
  return parseTaxonomy(value, origin)
}

export interface TaxonomyWarning {
  kind: 'duplicate' | 'shared' | 'plural_clash' | 'stale_shared'
  /** The entry as the classifier sees it (normalized). */
  term: string
  cohorts: string[]
  message: string
}

/**
 * Review aid for taxonomy edits; the classifier copes with all of these, but they are usually mistakes:
 * an entry listed twice in one cohort (after normalization: "t-shirts" and "t shirts"), an entry listed in
 * several cohorts without being declared in `shared`, a word whose plural folding reaches another
 * cohort's entry ("blues" would pull "blue" into Entertainment), and a `shared` entry no longer shared.
 */
export function checkTaxonomy(taxonomy: Taxonomy): TaxonomyWarning[] {
  const warnings: TaxonomyWarning[] = []
  const deliberate = new Set(taxonomy.shared.map((s) => matchWords(s).join(' ')))
  const exactCohorts = new Map<string, string[]>()
  const foldedOwners = new Map<string, { cohort: string; exact: string }[]>()

  for (const cohort of taxonomy.cohorts) {
    const seen = new Map<string, string>()
    for (const entry of [...cohort.entities, ...cohort.terms]) {
      const words = matchWords(entry)
      const exact = words.join(' ')
      const earlier = seen.get(exact)
      if (earlier !== undefined) {
        warnings.push({
          kind: 'duplicate',
          term: exact,
          cohorts: [cohort.name],
          message: `${cohort.name}: ${JSON.stringify(entry)} duplicates ${JSON.stringify(earlier)}`,
        })
        continue
      }
      seen.set(exact, entry)
      exactCohorts.set(exact, [...(exactCohorts.get(exact) ?? []), cohort.name])
      for (const key of foldedKeys(words)) {
        const owners = foldedOwners.get(key) ?? []
        owners.push({ cohort: cohort.name, exact })
        foldedOwners.set(key, owners)
      }
    }
  }

  for (const [term, cohorts] of exactCohorts) {
    if (cohorts.length > 1 && !deliberate.has(term)) {
      warnings.push({ kind: 'shared', term, cohorts, message: `${JSON.stringify(term)} is listed in ${cohorts.join(' and ')}; add it to "shared" if deliberate` })
    }
  }
  const reported = new Set<string>()
  for (const owners of foldedOwners.values()) {
    for (const a of owners) {
      for (const b of owners) {
        if (a.cohort === b.cohort || a.exact === b.exact || a.exact > b.exact) continue
        const pair = `${a.exact}|${b.exact}`
        if (reported.has(pair)) continue
        reported.add(pair)
        warnings.push({
          kind: 'plural_clash',
          term: a.exact,
          cohorts: [a.cohort, b.cohort],
          message: `${JSON.stringify(a.exact)} (${a.cohort}) and ${JSON.stringify(b.exact)} (${b.cohort}) fold to the same words`,
        })
      }
    }
  }
  for (const term of deliberate) {
    if ((exactCohorts.get(term)?.length ?? 0) < 2) {
      warnings.push({ kind: 'stale_shared', term, cohorts: exactCohorts.get(term) ?? [], message: `${JSON.stringify(term)} is in "shared" but listed in fewer than two cohorts` })
    }
  }
  return warnings
}

