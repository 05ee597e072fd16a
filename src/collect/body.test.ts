import { describe, expect, it } from 'vitest'
import { formatFromContentType, isUnparseable, parseBody } from './body.ts'

function ok(text: string, format: 'json' | 'ndjson' | 'csv') {
  const result = parseBody(text, format)
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.message}`)
  return result.records
}

describe('content types', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/vnd.api+json', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/jsonl', 'ndjson'],
    ['text/csv; charset=utf-8', 'csv'],
    ['TEXT/CSV', 'csv'],
    ['application/xml', null],
    [undefined, null],
  ])('%s → %s', (type, format) => {
    expect(formatFromContentType(type)).toBe(format)
  })
})

describe('JSON bodies', () => {
  it('reads an object, an array and the {"data": ...} wrapper', () => {
    expect(ok('{"cookie":"a"}', 'json')).toEqual([{ index: 0, value: { cookie: 'a' } }])
    expect(ok('[{"cookie":"a"},{"cookie":"b"}]', 'json').map((r) => r.index)).toEqual([0, 1])
    expect(ok('{"data":{"cookie":"a"}}', 'json')).toEqual([{ index: 0, value: { cookie: 'a' } }])
    expect(ok('{"data":[{"cookie":"a"},{"cookie":"b"}]}', 'json')).toHaveLength(2)
  })

  it('keeps an object with a data field among others as one record', () => {
    expect(ok('{"cookie":"a","data":{"x":1}}', 'json')).toEqual([{ index: 0, value: { cookie: 'a', data: { x: 1 } } }])
  })

  it('strips a BOM and keeps unicode', () => {
    expect(ok('\uFEFF{"city":"São Paulo 東京 🎉"}', 'json')[0]?.value).toEqual({ city: 'São Paulo 東京 🎉' })
  })

  it.each([
    ['{"a": 1,\n  "b": }', 2, 8],
    ['{"a": 1', 1, 8],
    ['[1, 2,, 3]', 1, 7],
    ['{"a": "line\nbreak"}', 1, 12],
    ['{"a": 1} x', 1, 10],
  ])('names line and column of %j', (text, line, column) => {
    const result = parseBody(text, 'json')
    expect(result).toMatchObject({ kind: 'unparseable', line, column })
    expect(result.kind === 'unparseable' && result.message).toContain(`line ${line}, column ${column}`)
  })

  it('rejects an empty body', () => {
    expect(parseBody('  \n', 'json')).toMatchObject({ kind: 'unparseable', message: expect.stringContaining('empty') })
  })
})

describe('NDJSON bodies', () => {
  it('tolerates CRLF and blank lines, indexing non-blank lines', () => {
    const records = ok('{"cookie":"a"}\r\n\r\n   \n{"cookie":"b"}\r\n', 'ndjson')
    expect(records).toEqual([
      { index: 0, value: { cookie: 'a' } },
      { index: 1, value: { cookie: 'b' } },
    ])
  })

  it('turns a bad line into a failed record of its own', () => {
    const records = ok('{"cookie":"a"}\n{bad json\n{"cookie":"c"}', 'ndjson')
    expect(records).toHaveLength(3)
    const bad = records[1]?.value
    expect(isUnparseable(bad)).toBe(true)
    expect(isUnparseable(bad) && bad.message).toMatch(/^line 2 is not valid JSON at column 2/)
    expect(records[2]?.value).toEqual({ cookie: 'c' })
  })
})

describe('CSV bodies', () => {
  it('nests dotted headers, omits empty cells and numbers rows from 1', () => {
    const records = ok('cookie,location.city,demographics.age,interests\nc1,Austin,35,golf;chess\nc2,,,\n', 'csv')
    expect(records).toEqual([
      { index: 1, value: { cookie: 'c1', location: { city: 'Austin' }, demographics: { age: '35' }, interests: 'golf;chess' } },
      { index: 2, value: { cookie: 'c2' } },
    ])
  })

  it('handles quoted commas, doubled quotes, newlines in quotes, CRLF, a BOM and unicode', () => {
    const text = '\uFEFFcookie,note,city\r\nc1,"a, b","He said ""hi"""\r\nc2,"two\r\nlines",Zürich 🏔\r\n'
    expect(ok(text, 'csv').map((r) => r.value)).toEqual([
      { cookie: 'c1', note: 'a, b', city: 'He said "hi"' },
      { cookie: 'c2', note: 'two\r\nlines', city: 'Zürich 🏔' },
    ])
  })

  it('skips blank lines', () => {
    expect(ok('cookie\n\nc1\n\n\nc2\n', 'csv').map((r) => r.index)).toEqual([1, 2])
  })

  it('fails only the row with the wrong number of cells', () => {
    const records = ok('cookie,city\nc1,Austin\nc2,Dallas,extra\nc3,Waco\n', 'csv')
    expect(records.map((r) => isUnparseable(r.value))).toEqual([false, true, false])
    expect(records[1]?.index).toBe(2)
  })

  it('rejects an unclosed quote, duplicate or empty header names', () => {
    expect(parseBody('cookie,city\n"c1,Austin\n', 'csv')).toMatchObject({ kind: 'unparseable', line: expect.any(Number) })
    expect(parseBody('cookie,cookie\nc1,c2\n', 'csv')).toMatchObject({ kind: 'unparseable', message: expect.stringContaining('twice') })
    expect(parseBody('cookie,,city\nc1,x,y\n', 'csv')).toMatchObject({ kind: 'unparseable', message: expect.stringContaining('no name') })
  })
})
