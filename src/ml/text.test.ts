import { describe, expect, it } from 'vitest'
import { damerauLevenshtein, deletions, foldedKeys, matchWords, ngrams, normalizeInterest, pluralForms, singular, tokens } from './text.ts'

describe('normalizeInterest', () => {
  it.each([
    ['  Tom   BRADY ', 'tom brady'],
    ['Pokémon', 'pokemon'],
    ['ＦＯＯＴＢＡＬＬ', 'football'],
    ['H&M', 'h&m'],
    ['dolce & gabbana', 'dolce and gabbana'],
    ["Levi’s", "levi's"],
    ["'quoted'", 'quoted'],
    ['spider-man: no way home!', 'spider man no way home'],
    ['node.js, ai/ml', 'node js ai ml'],
    ['寿司', '寿司'],
    ['', ''],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeInterest(input)).toBe(expected)
  })
})

describe('tokens, matchWords and ngrams', () => {
  it('splits normalized text into words', () => {
    expect(tokens(' Nike  Running-Shoes ')).toEqual(['nike', 'running', 'shoes'])
    expect(tokens(' !! ')).toEqual([])
    expect(matchWords("McDonald's")).toEqual(['mcdonalds'])
  })

  it('lists n-grams left to right', () => {
    expect(ngrams(['a', 'b', 'c'], 2)).toEqual(['a b', 'b c'])
    expect(ngrams(['a', 'b', 'c'], 3)).toEqual(['a b c'])
    expect(ngrams(['a'], 2)).toEqual([])
    expect(ngrams(['a'], 0)).toEqual([])
  })
})

describe('plural folding', () => {
  it.each([
    ['shoes', 'shoe'],
    ['stories', 'story'],
    ['boxes', 'box'],
    ['funds', 'fund'],
    ['tennis', 'tennis'],
    ['glass', 'glass'],
    ['news', 'news'],
    ['bus', 'bus'],
    ['ps5s', 'ps5s'],
    ['running', 'running'],
  ])('reads %j as %j', (word, expected) => {
    expect(singular(word)).toBe(expected)
  })

  it('keeps every reading so either spelling of a singular is reachable', () => {
    expect(pluralForms('movies')).toEqual(['movies', 'movy', 'movie'])
    expect(foldedKeys(['index', 'funds'])).toEqual(['index funds', 'index fund'])
  })
})

describe('damerauLevenshtein', () => {
  it.each([
    ['cricket', 'crcket', 1],
    ['football', 'footbal', 1],
    ['football', 'footbaal', 1],
    ['football', 'fotoball', 1],
    ['abc', 'abc', 0],
    ['', 'ab', 2],
    ['basketball', 'basktbal', 2],
  ])('%j → %j is %i', (a, b, d) => {
    expect(damerauLevenshtein(a, b, 3)).toBe(d)
    expect(damerauLevenshtein(b, a, 3)).toBe(d)
  })

  it('stops at max + 1', () => {
    expect(damerauLevenshtein('football', 'basketball', 2)).toBe(3)
    expect(damerauLevenshtein('a', 'abcdef', 1)).toBe(2)
  })

  it('lists deletion neighbourhoods', () => {
    expect([...deletions('abc', 1)].sort()).toEqual(['ab', 'abc', 'ac', 'bc'])
    expect(deletions('abcd', 2).size).toBe(1 + 4 + 6)
  })
})
