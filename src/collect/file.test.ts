import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isUnparseable } from './body.ts'
import { detectFileFormat, readRecordBatches } from './file.ts'
import type { BodyFormat, IncomingRecord } from '../domain/types.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-collect-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function writeFile(name: string, text: string): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}

async function readAll(file: string, format: BodyFormat, batchSize = 1000) {
  const records: IncomingRecord[] = []
  const sizes: number[] = []
  const bytes: number[] = []
  for await (const batch of readRecordBatches(file, format, batchSize)) {
    records.push(...batch.records)
    sizes.push(batch.records.length)
    bytes.push(batch.bytesRead)
  }
  return { records, sizes, bytes }
}

/** Every batch but the last is full, and bytesRead grows to the file size. */
function expectWellFormedBatches(result: { sizes: number[]; bytes: number[] }, batchSize: number, fileSize: number) {
  expect(result.sizes.slice(0, -1).every((size) => size === batchSize)).toBe(true)
  expect(result.sizes.at(-1)).toBeGreaterThan(0)
  expect(result.sizes.at(-1)).toBeLessThanOrEqual(batchSize)
  expect(result.bytes).toEqual([...result.bytes].sort((a, b) => a - b))
  expect(result.bytes.at(-1)).toBe(fileSize)
}

describe('detectFileFormat', () => {
  it('detects the format from the extension', () => {
    expect(detectFileFormat('people.csv')).toBe('csv')
    expect(detectFileFormat('/data/a.CSV')).toBe('csv')
    expect(detectFileFormat('a.ndjson')).toBe('ndjson')
    expect(detectFileFormat('a.jsonl')).toBe('ndjson')
    expect(detectFileFormat('a.json')).toBe('json')
  })

  it('prefers an explicit format, and otherwise asks for one', () => {
    expect(detectFileFormat('a.txt', 'ndjson')).toBe('ndjson')
    expect(detectFileFormat('a.csv', 'json')).toBe('json')
    expect(() => detectFileFormat('a.txt')).toThrow(/--format/)
    expect(() => detectFileFormat('noextension')).toThrow(/\.csv, \.ndjson, \.jsonl or \.json/)
  })
})

describe('readRecordBatches', () => {
  it('fails early for a missing file or a bad batch size', () => {
    expect(() => readRecordBatches(path.join(dir, 'missing.ndjson'), 'ndjson')).toThrow(/ENOENT/)
    const file = writeFile('one.ndjson', '{}\n')
    expect(() => readRecordBatches(file, 'ndjson', 0)).toThrow(/positive integer/)
  })
})

describe('NDJSON files', () => {
  it('streams a 200k-line file in full batches with continuous indices, a BOM, CRLF and blank lines', async () => {
    const lines: string[] = []
    for (let i = 0; i < 200_000; i++) lines.push(i % 1000 === 999 ? '   ' : JSON.stringify({ cookie: `c${i}`, city: 'Zürich 🏔' }))
    lines[12_345] = '{"cookie": oops'
    const file = writeFile('big.ndjson', `\uFEFF${lines.join('\r\n')}\r\n`)
    const size = fs.statSync(file).size
    const result = await readAll(file, 'ndjson', 5000)

    expect(result.records).toHaveLength(200_000 - 200)
    expect(result.records.every((record, i) => record.index === i)).toBe(true)
    expectWellFormedBatches(result, 5000, size)
    expect(result.bytes[0]).toBeLessThan(size / 2) // streamed, not read whole
    expect(result.records[0]?.value).toEqual({ cookie: 'c0', city: 'Zürich 🏔' })
    expect(result.records.at(-1)?.value).toEqual({ cookie: 'c199998', city: 'Zürich 🏔' })

    // Line 12346 holds element 12345; 12 blank lines come before it.
    const bad = result.records[12_345 - 12]
    expect(isUnparseable(bad?.value)).toBe(true)
    expect(isUnparseable(bad?.value) && bad.value.line).toBe(12_346)
    expect(isUnparseable(bad?.value) && bad.value.message).toMatch(/^line 12346 is not valid JSON/)
    expect(result.records.filter((record) => isUnparseable(record.value))).toHaveLength(1)
  })

  it('yields nothing for a blank file', async () => {
    const file = writeFile('blank.ndjson', '\n  \n')
    expect((await readAll(file, 'ndjson')).records).toEqual([])
  })

  it('stops reading when the caller stops early', async () => {
    const file = writeFile('early.ndjson', Array.from({ length: 10_000 }, (_, i) => `{"i":${i}}`).join('\n'))
    let batches = 0
    for await (const batch of readRecordBatches(file, 'ndjson', 100)) {
      batches++
      expect(batch.records).toHaveLength(100)
      if (batches === 3) break
    }
    expect(batches).toBe(3)
  })
})

describe('JSON files', () => {
  it('streams a 50k-element array element by element, one bad element failing alone', async () => {
    const items = Array.from({ length: 50_000 }, (_, i) =>
      JSON.stringify({ cookie: `c${i}`, note: 'has ] and } and , and "quotes" \\ inside 東京', list: [1, [2, { a: 3 }]] }),
    )
    items[7] = '{"cookie": oops}'
    const file = writeFile('array.json', `\uFEFF[\n  ${items.join(',\n  ')}\n]\n`)
    const size = fs.statSync(file).size
    const result = await readAll(file, 'json', 1000)

    expect(result.records).toHaveLength(50_000)
    expect(result.records.every((record, i) => record.index === i)).toBe(true)
    expectWellFormedBatches(result, 1000, size)
    expect(result.sizes).toHaveLength(50)
    expect(result.bytes[0]).toBeLessThan(size / 2)
    expect(result.records[49_999]?.value).toMatchObject({ cookie: 'c49999', note: expect.stringContaining('東京'), list: [1, [2, { a: 3 }]] })

    const bad = result.records[7]?.value
    if (!isUnparseable(bad)) throw new Error('expected a marker')
    expect(bad.line).toBe(9)
    expect(bad.text).toBe('{"cookie": oops}')
    expect(bad.message).toBe("array element 7 (line 9, column 3) is not valid JSON at line 9, column 14: Unexpected token 'o'")
  })

  it('uses other batch sizes too', async () => {
    const file = writeFile('small-array.json', JSON.stringify(Array.from({ length: 2500 }, (_, i) => ({ i }))))
    const result = await readAll(file, 'json', 333)
    expect(result.sizes).toEqual([...Array<number>(7).fill(333), 169])
    expect(result.records.map((record) => record.index)).toEqual(Array.from({ length: 2500 }, (_, i) => i))
  })

  it('turns an empty slot into a failed record', async () => {
    const file = writeFile('slots.json', '[{"cookie":"a"},,{"cookie":"b"}]')
    const { records } = await readAll(file, 'json')
    expect(records.map((record) => isUnparseable(record.value))).toEqual([false, true, false])
  })

  it('reads a single object, or a {"data": [...]} file, whole', async () => {
    const single = writeFile('single.json', '\uFEFF{"cookie":"a","city":"Montréal"}')
    expect((await readAll(single, 'json')).records).toEqual([{ index: 0, value: { cookie: 'a', city: 'Montréal' } }])

    const wrapped = writeFile('wrapped.json', JSON.stringify({ data: Array.from({ length: 25 }, (_, i) => ({ cookie: `c${i}` })) }))
    const result = await readAll(wrapped, 'json', 10)
    expect(result.sizes).toEqual([10, 10, 5])
    expect(result.records[24]).toEqual({ index: 24, value: { cookie: 'c24' } })
  })

  it('names the line and column of an invalid whole document', async () => {
    const file = writeFile('invalid.json', '{\n  "data": [\n    {"cookie": }\n  ]\n}')
    await expect(readAll(file, 'json')).rejects.toThrow(/invalid\.json is not valid JSON at line 3, column 16: Unexpected token '}'$/)
  })

  it('says when a file is empty, truncated or has text after its array', async () => {
    await expect(readAll(writeFile('empty.json', ' \n'), 'json')).rejects.toThrow(/is empty/)
    await expect(readAll(writeFile('truncated.json', '[{"cookie":"a"},{"cookie":'), 'json')).rejects.toThrow(/truncated/)
    await expect(readAll(writeFile('trailing.json', '[{"cookie":"a"}]\n[{"cookie":"b"}]'), 'json')).rejects.toThrow(/after the array/)
  })
})

describe('CSV files', () => {
  it('streams rows with quoted newlines, CRLF, nesting and row numbers from 1', async () => {
    const rows = ['\uFEFFcookie,location.city,note']
    for (let i = 0; i < 3000; i++) rows.push(`c${i},"City, ${i}","multi\r\nline ""${i}"""`)
    rows.push('', 'c3000,,')
    const file = writeFile('rows.csv', `${rows.join('\r\n')}\r\n`)
    const size = fs.statSync(file).size
    const result = await readAll(file, 'csv', 1000)

    expect(result.records).toHaveLength(3001)
    expectWellFormedBatches(result, 1000, size)
    expect(result.records[0]).toEqual({ index: 1, value: { cookie: 'c0', location: { city: 'City, 0' }, note: 'multi\r\nline "0"' } })
    expect(result.records[2999]?.index).toBe(3000)
    expect(result.records[3000]).toEqual({ index: 3001, value: { cookie: 'c3000' } })
  })

  it('fails only the row with the wrong number of cells, naming its line', async () => {
    const file = writeFile('ragged.csv', 'cookie,city\nc1,"Austin\nTX"\nc2,Dallas,TX\nc3,Waco\n')
    const { records } = await readAll(file, 'csv')
    expect(records.map((record) => record.index)).toEqual([1, 2, 3])
    expect(records[2]?.value).toEqual({ cookie: 'c3', city: 'Waco' })
    const bad = records[1]?.value
    expect(isUnparseable(bad) && bad.line).toBe(4)
  })

  it('throws for an unclosed quote or a bad header', async () => {
    await expect(readAll(writeFile('unclosed.csv', 'cookie,city\nc1,x\n"c2,y\n'), 'csv')).rejects.toThrow(/not valid CSV at line 3: .*never closed/)
    await expect(readAll(writeFile('header.csv', 'cookie,cookie\nc1,c2\n'), 'csv')).rejects.toThrow(/twice/)
  })
})
