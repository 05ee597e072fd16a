// The cohorts the model knows: data/model/cohorts.json, validated on load.
import fs from 'node:fs'
import { z } from 'zod'
import type { CohortDefinition } from '../../domain/types.ts'

export const MODEL_DIR = new URL('../../../data/model/', import.meta.url)

const cohortsSchema = z.strictObject({
  cohorts: z
    .array(
      z.strictObject({
        id: z.string().regex(/^coh_[a-z0-9_]+$/, 'must look like coh_sports'),
        name: z.string().min(1),
        description: z.string().min(10),
        terms: z.array(z.string().min(1)).min(1),
      }),
    )
    .min(1),
})

export function readCohorts(dir: URL = MODEL_DIR): CohortDefinition[] {
  const file = new URL('cohorts.json', dir)
  const parsed = cohortsSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')))
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new Error(`${file.pathname} is not a valid cohort list: ${problems}`)
  }
  return parsed.data.cohorts
}
