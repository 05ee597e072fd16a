// The taxonomy: the default cohorts, each with a description, generic terms and named entities.
// Data, not code: data/taxonomy.json.
import fs from 'node:fs'
import { z } from 'zod'
import type { CohortDefinition } from '../domain/types.ts'

const cohortSchema = z.object({
  id: z.string().regex(/^coh_[a-z0-9_]+$/, 'must look like coh_sports'),
  name: z.string().min(1),
  description: z.string().min(10),
  terms: z.array(z.string().min(1)).min(1),
  entities: z.array(z.string().min(1)).default([]),
})
const taxonomySchema = z.object({ version: z.string().min(1), cohorts: z.array(cohortSchema).min(1) })

export interface TaxonomyCohort extends CohortDefinition {
  entities: string[]
}
export interface Taxonomy {
  version: string
  cohorts: TaxonomyCohort[]
}

export const DEFAULT_TAXONOMY_PATH = new URL('../../data/taxonomy.json', import.meta.url)

export function parseTaxonomy(value: unknown, origin = 'taxonomy'): Taxonomy {
  const parsed = taxonomySchema.safeParse(value)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new Error(`${origin} is not a valid taxonomy: ${problems}`)
  }
  const ids = new Set<string>()
  const names = new Set<string>()
  for (const c of parsed.data.cohorts) {
    if (ids.has(c.id)) throw new Error(`${origin}: cohort id ${c.id} appears twice`)
    if (names.has(c.name.toLowerCase())) throw new Error(`${origin}: cohort name ${c.name} appears twice`)
    ids.add(c.id)
    names.add(c.name.toLowerCase())
  }
  return parsed.data
}

export function loadTaxonomy(path: string | URL = DEFAULT_TAXONOMY_PATH): Taxonomy {
  return parseTaxonomy(JSON.parse(fs.readFileSync(path, 'utf8')), String(path))
}

/** Terms listed under several cohorts; allowed (an entity can be ambiguous) but worth reviewing. */
export function sharedTerms(taxonomy: Taxonomy): Map<string, string[]> {
  const byTerm = new Map<string, string[]>()
  for (const c of taxonomy.cohorts) {
    for (const t of new Set([...c.terms, ...c.entities])) byTerm.set(t, [...(byTerm.get(t) ?? []), c.name])
  }
  return new Map([...byTerm].filter(([, cohorts]) => cohorts.length > 1))
}
