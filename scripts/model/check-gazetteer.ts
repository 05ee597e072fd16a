// Build-time check of the gazetteer: duplicate aliases, conflicting labels, unknown cohorts.
// Exits 1 when there is any problem.   npx tsx scripts/model/check-gazetteer.ts
import { readCohorts, MODEL_DIR } from '../../src/ml/model/cohorts.ts'
import { readGazetteer } from '../../src/ml/model/gazetteer.ts'

const cohorts = readCohorts()
const { gazetteer, problems } = readGazetteer(new URL('gazetteer/', MODEL_DIR), cohorts.map((c) => c.id))
const perCohort = new Map<string, number>()
for (const entry of gazetteer.entries.values()) perCohort.set(entry.cohorts[0] as string, (perCohort.get(entry.cohorts[0] as string) ?? 0) + 1)
console.log(`${gazetteer.entries.size} aliases; ${[...perCohort].map(([c, n]) => `${c.replace('coh_', '')} ${n}`).join(', ')}`)
for (const problem of problems) console.log(`${problem.kind}: ${problem.message}`)
if (problems.length > 0) {
  console.log(`${problems.length} problem(s)`)
  process.exit(1)
}
console.log('no duplicates or conflicts')
