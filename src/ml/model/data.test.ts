// Checks of the model's data and file formats: gazetteer hygiene, corpus/held-out separation, round trips.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MODEL_DIR, readCohorts } from './cohorts.ts'
import { readItems } from './corpus.ts'
import { matchGazetteer, readGazetteer } from './gazetteer.ts'
import { buildSpeller } from './speller.ts'
import { normalizeText } from './text.ts'
import { decodeWeights, encodeWeights } from './weights.ts'

const cohortIds = readCohorts().map((c) => c.id)

describe('gazetteer', () => {
  it('has thousands of aliases and no duplicates or conflicting labels', () => {
    const { gazetteer, problems } = readGazetteer(new URL('gazetteer/', MODEL_DIR), cohortIds)
    expect(problems).toEqual([])
    expect(gazetteer.entries.size).toBeGreaterThan(2500)
  })

  it('reports a duplicate and a conflict across files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazetteer-'))
    fs.writeFileSync(path.join(dir, 'sports.txt'), 'tom brady\nTom Brady\njaguar\n')
    fs.writeFileSync(path.join(dir, 'automotive.txt'), 'jaguar\n')
    const { problems } = readGazetteer(pathToFileURL(`${dir}/`), ['coh_sports', 'coh_automotive'])
    expect(problems.map((p) => p.kind)).toEqual(['duplicate', 'conflict'])
  })

  it('matches the longest alias and squeezed spellings', () => {
    const { gazetteer } = readGazetteer(new URL('gazetteer/', MODEL_DIR), cohortIds)
    const matches = matchGazetteer(gazetteer, ['new', 'york', 'yankees', 'tickets'])
    expect(matches[0]?.entry.alias).toBe('new york yankees')
    expect(matchGazetteer(gazetteer, ['playstation'])[0]?.whole).toBe(true)
    expect(matchGazetteer(gazetteer, ['tombrady'])[0]?.entry.alias).toBe('tom brady')
  })
})

describe('corpus', () => {
  it('keeps the held-out set out of the training corpus', () => {
    const train = readItems(new URL('train.tsv', MODEL_DIR))
    const heldOut = readItems(new URL('heldout.tsv', MODEL_DIR))
    expect(train.length).toBeGreaterThanOrEqual(10_000)
    expect(heldOut.length).toBeGreaterThanOrEqual(1_000)
    const trainTexts = new Set(train.map((i) => normalizeText(i.text)))
    expect(heldOut.filter((i) => trainTexts.has(normalizeText(i.text)))).toEqual([])
    for (const kind of ['generic', 'entity', 'phrase', 'typo', 'none']) expect(heldOut.some((i) => i.kind === kind)).toBe(true)
  })
})

describe('speller and files', () => {
  it('corrects rare words by one edit, or two for long words, preferring domain words', () => {
    const domainWords = new Set(['football', 'cricket', 'basketball'])
    const ranks = new Map([['cricked', 5]])
    const speller = buildSpeller({ domainWords, rank: (w) => ranks.get(w), commonRank: 10, rareRank: 10 })
    expect(speller.correct('footbal')).toBe('football')
    expect(speller.correct('crcket')).toBe('cricket')
    expect(speller.correct('baskteball')).toBe('basketball')
    expect(speller.correct('bsktball')).toBeNull()
    expect(speller.correct('cricket')).toBeNull()
  })

  it('round-trips quantized weights within one quantization step', () => {
    const weights = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 3, 2, -3])
    const { weights: back, rows, classes } = decodeWeights(encodeWeights(weights, 3, 3), 'test')
    expect([rows, classes]).toEqual([3, 3])
    weights.forEach((w, i) => expect(Math.abs((back[i] as number) - w)).toBeLessThanOrEqual(3 / 127))
  })

  it('normalizes accents, apostrophes, ampersands and c++', () => {
    expect(normalizeText("Pokémon GO")).toBe('pokemon go')
    expect(normalizeText("Levi's")).toBe('levis')
    expect(normalizeText('H&M')).toBe('h and m')
    expect(normalizeText('C++ and C#')).toBe('cplusplus and csharp')
  })
})
