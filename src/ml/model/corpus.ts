// Labeled items for training and evaluation: a TSV of `text<TAB>labels<TAB>kind`, where labels are
// cohort ids (or "none") separated by "|", the first being the answer and the rest acceptable too.
import fs from 'node:fs'

export const ITEM_KINDS = ['generic', 'entity', 'phrase', 'typo', 'none'] as const
export type ItemKind = (typeof ITEM_KINDS)[number]

export interface LabeledItem {
  text: string
  labels: string[] // cohort ids or ["none"]; first is the answer
  kind: ItemKind
  weight?: number
}

export function parseItems(tsv: string, origin: string): LabeledItem[] {
  const items: LabeledItem[] = []
  tsv.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return
    const [text, labels, kind, weight] = line.split('\t')
    if (!text || !labels || !kind || !(ITEM_KINDS as readonly string[]).includes(kind)) {
      throw new Error(`${origin}:${i + 1}: expected "text<TAB>labels<TAB>kind" with kind one of ${ITEM_KINDS.join(', ')} (got ${JSON.stringify(line)})`)
    }
    const item: LabeledItem = { text, labels: labels.split('|'), kind: kind as ItemKind }
    if (weight) item.weight = Number(weight)
    items.push(item)
  })
  return items
}

export function readItems(path: string | URL): LabeledItem[] {
  return parseItems(fs.readFileSync(path, 'utf8'), path instanceof URL ? path.pathname : path)
}

export function formatItems(items: readonly LabeledItem[]): string {
  return items.map((i) => [i.text, i.labels.join('|'), i.kind, ...(i.weight !== undefined && i.weight !== 1 ? [String(i.weight)] : [])].join('\t')).join('\n') + '\n'
}
