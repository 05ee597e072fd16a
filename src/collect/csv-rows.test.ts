import { describe, expect, it } from 'vitest'
import { detectCsvDelimiter, parseCsvDelimiter } from './csv-rows.ts'

describe('detectCsvDelimiter', () => {
  it.each([
    ['cookie,email,age\n', ','],
    ['cookie;email;age\r\n', ';'],
    ['cookie\temail\tage\n', '\t'],
    ['cookie|email|age\n', '|'],
    ['\uFEFFcookie;email\n', ';'],
    // Delimiters inside quotes do not count: this header has one semicolon and no commas outside them.
    ['"name, full";email\na,b,c,d,e\n', ';'],
    // Only the header line is read.
    ['cookie;email\na,b,c,d,e,f\n', ';'],
    ['cookie\nc1\n', ','],
    ['cookie,email;age\n', ','],
  ])('reads %j as %j', (text, expected) => {
    expect(detectCsvDelimiter(text)).toBe(expected)
  })
})

describe('parseCsvDelimiter', () => {
  it('takes the four delimiters, tab by name or escape, and nothing else', () => {
    expect(parseCsvDelimiter(';')).toBe(';')
    expect(parseCsvDelimiter('tab')).toBe('\t')
    expect(parseCsvDelimiter('\\t')).toBe('\t')
    expect(parseCsvDelimiter('\t')).toBe('\t')
    expect(parseCsvDelimiter('x')).toBeNull()
    expect(parseCsvDelimiter(',,')).toBeNull()
  })
})
