import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { IncomingRecord } from '../domain/types.ts'
import { isUnparseable } from './body.ts'
import { detectFileFormat, readRecordBatches } from './file.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-file-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

async function readAll(file: string, format: 'json' | 'ndjson' | 'csv', batchSize = 1000) {
  const records: IncomingRecord[] = []
  let batches = 0
  let bytes = 0
  for await (const batch of readRecordBatches(file, format, batchSize)) {
    records.push(...batch.records)
    batches++
    expect(batch.bytesRead).toBeGreaterThanOrEqual(bytes)
    bytes = batch.bytesRead
  }
  return { records, batches, bytes }
}

describe('file formats', () => {
  it('detects the format from the extension, or asks for --format', () => {
    expect(detectFileFormat('a.CSV')).toBe('csv')
    expect(detectFileFormat('a.jsonl')).toBe('ndjson')
    expect(detectFileFormat('a.txt', 'ndjson')).toBe('ndjson')
    expect(() => detectFileFormat('a.txt')).toThrow(/--format/)
  })
})

describe('streaming files', () => {
  it('reads a 200k-line NDJSON file in batches with continuous indices', async () => {
    const file = path.join(dir, 'big.ndjson')
    const lines: string[] = []
    for (let i = 0; i < 200_000; i++) lines.push(i % 1000 === 999 ? '' : JSON.stringify({ cookie: `c${i}` }))
    fs.writeFileSync(file, `\uFEFF${lines.join('\r\n')}\n`)
    const { records, batches, bytes } = await readAll(file, 'ndjson', 5000)
    expect(records).toHaveLength(200_000 - 200)
    expect(records.every((r, i) => r.index === i)).toBe(true)
    expect(records[0]?.value).toEqual({ cookie: 'c0' })
    expect(batches).toBeGreaterThan(30)
    expect(bytes).toBe(fs.statSync(file).size)
  })

  it('cuts a JSON array into elements without reading it whole, one bad element failing alone', async () => {
    const file = path.join(dir, 'array.json')
    const items = Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ cookie: `c${i}`, note: 'has ] and } and , and "quotes" \\ inside', list: [1, [2, { a: 3 }]] }))
    items[7] = '{"cookie": oops}'
    fs.writeFileSync(file, `[\n${items.join(',\n')}\n]\n`)
    const { records } = await readAll(file, 'json', 1000)
    expect(records).toHaveLength(50_000)
    expect(records.every((r, i) => r.index === i)).toBe(true)
    expect(isUnparseable(records[7]?.value)).toBe(true)
    expect(records[49_999]?.value).toMatchObject({ cookie: 'c49999', list: [1, [2, { a: 3 }]] })
  })

  it('reads a single JSON object or {"data": [...]} file', async () => {
    const file = path.join(dir, 'wrapped.json')
    fs.writeFileSync(file, JSON.stringify({ data: [{ cookie: 'a' }, { cookie: 'b' }] }))
    expect((await readAll(file, 'json')).records.map((r) => r.value)).toEqual([{ cookie: 'a' }, { cookie: 'b' }])
  })

  it('streams CSV with quoted newlines and numbers data rows from 1', async () => {
    const file = path.join(dir, 'rows.csv')
    const rows = ['cookie,location.city,note']
    for (let i = 0; i < 3000; i++) rows.push(`c${i},"City, ${i}","multi\nline"`)
    fs.writeFileSync(file, `${rows.join('\r\n')}\r\n`)
    const { records } = await readAll(file, 'csv', 1000)
    expect(records).toHaveLength(3000)
    expect(records[0]).toEqual({ index: 1, value: { cookie: 'c0', location: { city: 'City, 0' }, note: 'multi\nline' } })
    expect(records[2999]?.index).toBe(3000)
  })

  it('says when a file is truncated inside its array', async () => {
    const file = path.join(dir, 'truncated.json')
    fs.writeFileSync(file, '[{"cookie":"a"},{"cookie":')
    await expect(readAll(file, 'json')).rejects.toThrow(/truncated/)
  })
})
