import { describe, expect, it } from 'vitest'
import { formatFromContentType, isUnparseable, parseBody, UNPARSEABLE } from './body.ts'
import type { BodyFormat, IncomingRecord } from '../domain/types.ts'

function ok(text: string, format: BodyFormat): IncomingRecord[] {
  const result = parseBody(text, format)
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.reason}`)
  return result.value
}

function values(text: string, format: BodyFormat): unknown[] {
  return ok(text, format).map((record) => record.value)
}

describe('formatFromContentType', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/vnd.api+json', 'json'],
    ['application/ld+json;charset=UTF-8', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/ndjson', 'ndjson'],
    ['application/jsonl', 'ndjson'],
    ['application/x-jsonlines', 'ndjson'],
    ['text/csv; charset=utf-8', 'csv'],
    ['application/csv', 'csv'],
    ['TEXT/CSV', 'csv'],
    ['application/xml', null],
    ['text/plain', null],
    ['constructor', null],
    ['', null],
    [undefined, null],
  ])('%s → %s', (contentType, format) => {
    expect(formatFromContentType(contentType)).toBe(format)
  })
})

describe('empty bodies', () => {
  it.each(['json', 'ndjson', 'csv'] as const)('rejects an empty or blank %s body', (format) => {
    for (const text of ['', '  \n\r\n', '\uFEFF']) {
      expect(parseBody(text, format)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('body is empty') })
    }
  })
})

describe('JSON bodies', () => {
  it('reads one object as record 0', () => {
    expect(ok('{"cookie":"a"}', 'json')).toEqual([{ index: 0, value: { cookie: 'a' } }])
  })

  it('reads an array as one record per element, indexed by position', () => {
    expect(ok('[{"cookie":"a"},{"cookie":"b"},null]', 'json')).toEqual([
      { index: 0, value: { cookie: 'a' } },
      { index: 1, value: { cookie: 'b' } },
      { index: 2, value: null },
    ])
  })

  it('unwraps {"data": ...} holding an object or an array', () => {
    expect(ok('{"data":{"cookie":"a"}}', 'json')).toEqual([{ index: 0, value: { cookie: 'a' } }])
    expect(ok('{"data":[{"cookie":"a"},{"cookie":"b"}]}', 'json')).toEqual([
      { index: 0, value: { cookie: 'a' } },
      { index: 1, value: { cookie: 'b' } },
    ])
  })

  it('keeps {"data": ...} as one record when data sits beside other keys or is not a container', () => {
    expect(values('{"cookie":"a","data":{"x":1}}', 'json')).toEqual([{ cookie: 'a', data: { x: 1 } }])
    expect(values('{"data":"text"}', 'json')).toEqual([{ data: 'text' }])
  })

  it('strips a BOM and keeps unicode untouched', () => {
    const city = 'São Paulo 東京 Zürich 🎉👩‍👩‍👧 \u00e9\u0065\u0301'
    expect(values(`\uFEFF{"city":${JSON.stringify(city)}}`, 'json')).toEqual([{ city }])
  })

  it.each([
    ['{"a": 1,\n  "b": }', 2, 8],
    ['{"a": 1', 1, 8],
    ['[1, 2,, 3]', 1, 7],
    ['{"a": "line\nbreak"}', 1, 12],
    ['{"a": 1} x', 1, 10],
    ['{\n  "a": 1,\n  "b": tru\n}', 3, 8],
    ['{"emoji": "🎉", x}', 1, 16],
    ['\uFEFF{\r\n"a": 1,\r\n"b" 2}', 3, 5],
  ])('names the line and column of the error in %j', (text, line, column) => {
    const result = parseBody(text, 'json')
    expect(result).toMatchObject({ kind: 'rejected', detail: { line, column } })
    expect(result.kind === 'rejected' && result.reason).toMatch(new RegExp(`^body is not valid JSON at line ${line}, column ${column}: \\S`))
  })

  it('says what went wrong without echoing the body', () => {
    for (const text of [`{"a": }${' '.repeat(10)}"${'x'.repeat(500)}"`, `{"${'x'.repeat(500)}": 1, "a": }`]) {
      const result = parseBody(text, 'json')
      expect(result.kind === 'rejected' && result.reason).toMatch(/^body is not valid JSON at line 1, column \d+: Unexpected token '}'$/)
    }
  })
})

describe('NDJSON bodies', () => {
  it('tolerates CRLF and blank lines, indexing only the non-blank lines', () => {
    expect(ok('{"cookie":"a"}\r\n\r\n   \n\t\n{"cookie":"b"}\r\n', 'ndjson')).toEqual([
      { index: 0, value: { cookie: 'a' } },
      { index: 1, value: { cookie: 'b' } },
    ])
  })

  it('strips a BOM and keeps unicode', () => {
    expect(values('\uFEFF{"city":"Kraków"}\n{"city":"北京 🏯"}', 'ndjson')).toEqual([{ city: 'Kraków' }, { city: '北京 🏯' }])
  })

  it('turns a bad line into a failed record of its own while its neighbours parse', () => {
    const records = ok('{"cookie":"a"}\n\n{"cookie":"b"}\n{bad json\n{"cookie":"c"}', 'ndjson')
    expect(records.map((record) => record.index)).toEqual([0, 1, 2, 3])
    expect(records[3]?.value).toEqual({ cookie: 'c' })
    const bad = records[2]?.value
    expect(isUnparseable(bad)).toBe(true)
    expect(isUnparseable(records[0]?.value)).toBe(false)
    if (!isUnparseable(bad)) return
    expect(bad[UNPARSEABLE]).toBe(true)
    expect(bad.line).toBe(4)
    expect(bad.text).toBe('{bad json')
    expect(bad.message).toMatch(/^line 4 is not valid JSON at column 2: /)
  })

  it('accepts a body whose every line is bad, as failed records', () => {
    const records = ok('nope\n{"a":\n', 'ndjson')
    expect(records.map((record) => isUnparseable(record.value))).toEqual([true, true])
  })
})

describe('CSV bodies', () => {
  it('nests dotted headers, omits empty cells and numbers data rows from 1', () => {
    const records = ok('cookie,location.city,location.state,demographics.age,interests\nc1,Austin,TX,35,golf;chess\nc2,,,,\n', 'csv')
    expect(records).toEqual([
      { index: 1, value: { cookie: 'c1', location: { city: 'Austin', state: 'TX' }, demographics: { age: '35' }, interests: 'golf;chess' } },
      { index: 2, value: { cookie: 'c2' } },
    ])
  })

  it('keeps values as strings', () => {
    expect(values('cookie,age,active\nc1,007,true\n', 'csv')).toEqual([{ cookie: 'c1', age: '007', active: 'true' }])
  })

  it('reads quoted commas, doubled quotes and newlines inside quotes', () => {
    const text = 'cookie,note,quote\nc1,"a, b","He said ""hi"""\nc2,"two\nlines","x"\n'
    expect(values(text, 'csv')).toEqual([
      { cookie: 'c1', note: 'a, b', quote: 'He said "hi"' },
      { cookie: 'c2', note: 'two\nlines', quote: 'x' },
    ])
  })

  it('handles CRLF and a BOM', () => {
    expect(values('\uFEFFcookie,city\r\nc1,Paris\r\nc2,"multi\r\nline"\r\n', 'csv')).toEqual([
      { cookie: 'c1', city: 'Paris' },
      { cookie: 'c2', city: 'multi\r\nline' },
    ])
  })

  it('trims whitespace around cells but not inside quotes', () => {
    expect(values('cookie , city\n  c1 ,  " New York "  \n', 'csv')).toEqual([{ cookie: 'c1', city: ' New York ' }])
  })

  it('keeps a quote inside an unquoted cell as text', () => {
    expect(values('cookie,height\nc1,5\'10"\n', 'csv')).toEqual([{ cookie: 'c1', height: '5\'10"' }])
  })

  it('passes unicode through untouched', () => {
    const text = 'cookie,city,name\nc1,São Paulo,José 🎉\nc2,東京,山田 太郎\nc3,Zürich,"Ångström, 👩‍💻"\n'
    expect(values(text, 'csv')).toEqual([
      { cookie: 'c1', city: 'São Paulo', name: 'José 🎉' },
      { cookie: 'c2', city: '東京', name: '山田 太郎' },
      { cookie: 'c3', city: 'Zürich', name: 'Ångström, 👩‍💻' },
    ])
  })

  it('skips blank and whitespace-only lines without counting them as rows', () => {
    expect(ok('cookie\n\nc1\n   \n\r\nc2\n', 'csv').map((record) => record.index)).toEqual([1, 2])
  })

  it('fails only a row with the wrong number of cells, naming its row and line', () => {
    const records = ok('cookie,city\nc1,Austin\n"c2\nx",Dallas,extra\nc3,Waco\nc4\n', 'csv')
    expect(records.map((record) => record.index)).toEqual([1, 2, 3, 4])
    expect(records.map((record) => isUnparseable(record.value))).toEqual([false, true, false, true])
    expect(records[2]?.value).toEqual({ cookie: 'c3', city: 'Waco' })
    const bad = records[1]?.value
    if (!isUnparseable(bad)) throw new Error('expected a marker')
    expect(bad.line).toBe(3)
    expect(bad.message).toBe('CSV row 2 (line 3) has 3 cells but the header has 2: quote cells that contain commas')
    expect(bad.text).toBe('"c2\nx",Dallas,extra')
    const short = records[3]?.value
    expect(isUnparseable(short) && short.line).toBe(6)
  })

  it('counts lines correctly after quoted CRLF line breaks', () => {
    const records = ok('cookie,note\r\nc1,"a\r\nb\r\nc"\r\nc2,x,y\r\n', 'csv')
    const bad = records[1]?.value
    expect(isUnparseable(bad) && bad.line).toBe(5)
  })

  it('rejects an unclosed quote, naming where it starts', () => {
    const result = parseBody('cookie,city\nc1,Austin\n"c2,Dallas\nc3,Waco\n', 'csv')
    expect(result).toMatchObject({ kind: 'rejected', detail: { line: 3 } })
    expect(result.kind === 'rejected' && result.reason).toMatch(/^body is not valid CSV at line 3: .*never closed/)
  })

  it('rejects text after a closing quote', () => {
    const result = parseBody('cookie,city\nc1,"Aus"tin\n', 'csv')
    expect(result).toMatchObject({ kind: 'rejected', detail: { line: 2 } })
    expect(result.kind === 'rejected' && result.reason).toContain('closing quote')
  })

  it.each([
    ['cookie,cookie\nc1,c2\n', 'twice'],
    ['cookie, cookie \nc1,c2\n', 'twice'],
    ['cookie,,city\nc1,x,y\n', 'no name'],
    ['cookie,location..city\nc1,x\n', 'empty part'],
    ['cookie,location,location.city\nc1,x,y\n', 'both "location" and "location.city"'],
    ['cookie,__proto__.polluted\nc1,x\n', '__proto__'],
  ])('rejects the header of %j', (text, problem) => {
    expect(parseBody(text, 'csv')).toMatchObject({ kind: 'rejected', detail: { line: 1 }, reason: expect.stringContaining(problem) })
  })

  it('builds own properties even for header names that Object.prototype also has', () => {
    const [value] = values('cookie,constructor.name,toString\nc1,x,y\n', 'csv')
    expect(JSON.stringify(value)).toBe('{"cookie":"c1","constructor":{"name":"x"},"toString":"y"}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('accepts a header with no data rows as zero records', () => {
    expect(ok('cookie,city\n', 'csv')).toEqual([])
  })
})
