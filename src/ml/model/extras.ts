// Admin-defined extras that a retrained model learns: custom cohorts (extra classes and extra
// gazetteer feature slots) and labeled examples (custom cohort seeds and corrections). Training and
// loading both work from the canonical form, so equal extras always give the same layout and bytes.
import { AppError } from '../../errors.ts'
import type { CohortDefinition } from '../../domain/types.ts'
import type { LabeledItem } from './corpus.ts'
import { addAlias, type Gazetteer } from './gazetteer.ts'
import { hashString, normalizeText } from './text.ts'

export interface ModelExtras {
  /** Custom cohorts beyond data/model/cohorts.json; ids match /^coh_[a-z0-9_]+$/ and must not collide with built-in ids. */
  cohorts: CohortDefinition[]
  /** Seeds of custom cohorts and admin corrections, as labeled training items; cohortIds [] means "no cohort". */
  examples: { text: string; cohortIds: string[] }[]
}

/** How model.json records the extras a model was trained with. */
export interface RecordedExtras extends ModelExtras {
  hash: string
}

/** Examples weigh more than corpus items and are repeated, so 10 seeds can stand up to ~1,200 corpus items per cohort. */
export const EXAMPLE_WEIGHT = 3
export const EXAMPLE_REPEATS = 8

const COHORT_ID = /^coh_[a-z0-9_]+$/

export function isEmptyExtras(extras: ModelExtras | undefined): boolean {
  return extras === undefined || (extras.cohorts.length === 0 && extras.examples.length === 0)
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The canonical form: cohorts sorted by id with trimmed, de-duplicated, sorted terms; examples
 * de-duplicated by normalized text and sorted. cohortIds keep their order (the first is the answer).
 */
export function canonicalExtras(extras: ModelExtras): ModelExtras {
  const cohorts = extras.cohorts
    .map((c) => ({ id: c.id, name: c.name.trim(), description: c.description.trim(), terms: [...new Set(c.terms.map((t) => t.trim()).filter((t) => t !== ''))].sort(byText) }))
    .sort((a, b) => byText(a.id, b.id))
  const examples = new Map<string, { text: string; cohortIds: string[] }>()
  for (const example of extras.examples) {
    const text = normalizeText(example.text)
    const cohortIds = [...new Set(example.cohortIds)]
    const known = examples.get(text)
    if (known && known.cohortIds.join(' ') !== cohortIds.join(' ')) {
      throw new AppError('invalid_input', `examples: "${example.text}" is labeled twice, as [${known.cohortIds.join(', ')}] and as [${cohortIds.join(', ')}]`)
    }
    examples.set(text, { text, cohortIds })
  }
  return { cohorts, examples: [...examples.values()].sort((a, b) => byText(a.text, b.text)) }
}

/** Stable hash of the canonical form: the same for extras listed in any order. */
export function extrasHash(extras: ModelExtras): string {
  const json = JSON.stringify(canonicalExtras(extras))
  // Two FNV-1a passes (forwards and over the reversed text) give 64 bits, enough to tell extras apart.
  const forward = hashString(json).toString(16).padStart(8, '0')
  const backward = hashString([...json].reverse().join('')).toString(16).padStart(8, '0')
  return `extras-${forward}${backward}`
}

/** Throws an invalid_input AppError naming every problem; returns the canonical extras. */
export function validateExtras(extras: ModelExtras, builtIn: readonly CohortDefinition[]): ModelExtras {
  const problems: string[] = []
  const builtInIds = new Set(builtIn.map((c) => c.id))
  const seen = new Set<string>()
  extras.cohorts.forEach((c, i) => {
    if (!COHORT_ID.test(c.id)) problems.push(`cohorts[${i}].id: must look like coh_pets (got ${JSON.stringify(c.id)})`)
    else if (builtInIds.has(c.id)) problems.push(`cohorts[${i}].id: ${c.id} is a built-in cohort`)
    else if (seen.has(c.id)) problems.push(`cohorts[${i}].id: ${c.id} is listed twice`)
    seen.add(c.id)
    if (c.name.trim() === '') problems.push(`cohorts[${i}].name: must not be empty`)
    if (builtIn.some((b) => b.name === c.name.trim())) problems.push(`cohorts[${i}].name: "${c.name}" is a built-in cohort name`)
  })
  const known = new Set([...builtInIds, ...seen])
  extras.examples.forEach((e, i) => {
    if (normalizeText(e.text) === '') problems.push(`examples[${i}].text: has no words (got ${JSON.stringify(e.text)})`)
    for (const id of e.cohortIds) if (!known.has(id)) problems.push(`examples[${i}].cohortIds: unknown cohort ${id}`)
  })
  if (problems.length > 0) throw new AppError('invalid_input', `invalid model extras: ${problems.join('; ')}`, problems)
  return canonicalExtras(extras)
}

/**
 * Puts the extras into the gazetteer: an example's text becomes an alias of its cohorts when its
 * first cohort is custom, and replaces a built-in alias it contradicts (an alias labeled "no cohort"
 * is removed), so a correction is not overruled by the gazetteer. A custom cohort's terms become
 * aliases unless the built-in gazetteer already lists them. Source: `custom:<cohort id>`.
 */
export function applyExtrasToGazetteer(gazetteer: Gazetteer, extras: ModelExtras): void {
  const custom = new Set(extras.cohorts.map((c) => c.id))
  for (const example of extras.examples) {
    const alias = normalizeText(example.text)
    const existing = gazetteer.entries.get(alias)
    const primary = example.cohortIds[0]
    if (existing) {
      if (existing.cohorts.join(' ') === example.cohortIds.join(' ')) continue
      removeAlias(gazetteer, alias)
    }
    if (primary === undefined) continue
    if (existing || custom.has(primary)) addAlias(gazetteer, { alias, cohorts: example.cohortIds, source: `custom:${primary}` })
  }
  for (const cohort of extras.cohorts) {
    for (const term of cohort.terms) {
      const alias = normalizeText(term)
      if (alias !== '' && !gazetteer.entries.has(alias)) addAlias(gazetteer, { alias, cohorts: [cohort.id], source: `custom:${cohort.id}` })
    }
  }
}

function removeAlias(gazetteer: Gazetteer, alias: string): void {
  const entry = gazetteer.entries.get(alias)
  gazetteer.entries.delete(alias)
  const squeezed = alias.replaceAll(' ', '')
  if (entry && gazetteer.squeezed.get(squeezed) === entry) gazetteer.squeezed.delete(squeezed)
}

/** Training items from the extras: every example, and every custom cohort term that is not already an example. */
export function extrasItems(extras: ModelExtras): LabeledItem[] {
  const items: LabeledItem[] = extras.examples.map((e) => ({ text: e.text, labels: e.cohortIds.length > 0 ? e.cohortIds : ['none'], kind: e.cohortIds.length > 0 ? 'generic' : 'none', weight: EXAMPLE_WEIGHT }))
  const texts = new Set(items.map((i) => i.text))
  for (const cohort of extras.cohorts) {
    for (const term of cohort.terms) {
      const text = normalizeText(term)
      if (text === '' || texts.has(text)) continue
      texts.add(text)
      items.push({ text, labels: [cohort.id], kind: 'generic', weight: EXAMPLE_WEIGHT })
    }
  }
  return items
}
