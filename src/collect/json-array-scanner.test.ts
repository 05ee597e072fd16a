import { describe, expect, it } from 'vitest'
import { createJsonArrayScanner, type ArrayElementText } from './json-array-scanner.ts'

function scan(chunks: string[], maxElementChars = 1_000_000): ArrayElementText[] {
  const scanner = createJsonArrayScanner({ maxElementChars })
  const elements = chunks.flatMap((chunk) => scanner.push(chunk))
  scanner.end()
  return elements
}

function chunked(text: string, size: number): string[] {
  const chunks: string[] = []
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
  return chunks
}

const TRICKY = '\uFEFF [\n  {"a": "x, ] } [ {", "b": [1, [2]]},\n  "str \\" , ]",\n  42 ,\n  [ {"c": "\\\\"} ],\n  "🎉東京",\n  null\n]\n'

describe('JSON array scanner', () => {
  it('cuts an array into element texts, ignoring brackets and commas inside strings', () => {
    expect(scan([TRICKY]).map((element) => element.text)).toEqual([
      '{"a": "x, ] } [ {", "b": [1, [2]]}',
      '"str \\" , ]"',
      '42',
      '[ {"c": "\\\\"} ]',
      '"🎉東京"',
      'null',
    ])
  })

  it('gives the same elements however the text is split into chunks', () => {
    const whole = scan([TRICKY])
    for (let size = 1; size <= TRICKY.length; size++) expect(scan(chunked(TRICKY, size))).toEqual(whole)
  })

  it('says where each element starts, counting characters', () => {
    expect(scan([TRICKY]).map((element) => [element.line, element.column])).toEqual([
      [2, 3],
      [3, 3],
      [4, 3],
      [5, 3],
      [6, 3],
      [7, 3],
    ])
    expect(scan(['["🎉", 1]'])[1]).toMatchObject({ line: 1, column: 7 })
  })

  it('reads an empty array as no elements', () => {
    expect(scan(['[ \n ]'])).toEqual([])
  })

  it('reports empty slots as empty elements', () => {
    expect(scan(['[1,,2,]']).map((element) => element.text)).toEqual(['1', '', '2', ''])
  })

  it('keeps mismatched brackets inside one element so that only it fails', () => {
    expect(scan(['[{"a":1}}, 2]']).map((element) => element.text)).toEqual(['{"a":1}}', '2'])
  })

  it('marks an element longer than the limit and keeps only its start', () => {
    const [big, small] = scan(chunked(`["${'x'.repeat(5000)}", 1]`, 100), 2000)
    expect(big?.oversized).toBe(true)
    expect(big?.text.length).toBeLessThanOrEqual(2000)
    expect(small).toMatchObject({ text: '1', oversized: false })
  })

  it('throws on text before the array, after it, or a missing "]"', () => {
    expect(() => scan(['{"a": 1}'])).toThrow(/expected "\["/)
    expect(() => scan(['[1, 2] [3]'])).toThrow(/after the array's closing/)
    expect(() => scan(['[1, {"a": 2'])).toThrow(/truncated/)
    expect(() => scan(['  '])).toThrow(/empty/)
  })
})
