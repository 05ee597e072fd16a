import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { exceedsDepth, findTooDeep, findUnstorableText, jsonWithRawField, storableJson, storableText, storedPayloadJson, stringifyDeep } from './json-value.ts'

const nest = (n: number): unknown => JSON.parse('['.repeat(n) + ']'.repeat(n))

describe('client JSON limits', () => {
  it('counts depth as levels of objects and arrays', () => {
    expect(exceedsDepth(nest(64))).toBe(false)
    expect(exceedsDepth(nest(65))).toBe(true)
    expect(exceedsDepth('text')).toBe(false)
    expect(findTooDeep({ a: { b: nest(70) } })).toBe('a.b[0][0][0][0]…')
    expect(findTooDeep({ a: 1 })).toBeNull()
  })

  it('checks 200,000 levels without overflowing the stack', () => {
    expect(exceedsDepth(nest(200_000))).toBe(true)
    expect(stringifyDeep(nest(100_000))).toHaveLength(200_000)
  })

  it('stringifies exactly as JSON.stringify does', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
        expect(stringifyDeep(value)).toBe(JSON.stringify(value))
      }))
  })

  it('replaces NUL and lone surrogates with U+FFFD and keeps surrogate pairs', () => {
    expect(storableText('a\u0000b\ud800c\udc00d😀')).toBe('a\uFFFDb\uFFFDc\uFFFDd😀')
    expect(findUnstorableText({ a: ['ok', { b: 'x\u0000' }] })).toBe('a[1].b')
    expect(findUnstorableText({ ok: '😀' })).toBeNull()
  })

  it('returns the same value when nothing needs replacing, and keeps a __proto__ key a key', () => {
    const clean = { a: ['x'], b: { c: 1 } }
    expect(storableJson(clean)).toBe(clean)
    const parsed = JSON.parse('{"__proto__":{"v":"a\\u0000"},"k":"b"}') as object
    const stored = storableJson(parsed) as Record<string, unknown>
    expect(Object.hasOwn(stored, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype)
    expect(JSON.stringify(stored)).toBe('{"__proto__":{"v":"a\uFFFD"},"k":"b"}')
  })

  it('splices a stored payload into JSON as its own text, at any depth', () => {
    const deep = `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    expect(storedPayloadJson(deep)).toBe(deep)
    expect(storedPayloadJson('not json "at" all')).toBe('"not json \\"at\\" all"')
    const text = jsonWithRawField({ id: 1, errors: [] }, 'payload', deep)
    expect(text).toBe(`{"id":1,"errors":[],"payload":${deep}}`)
    expect(JSON.parse(jsonWithRawField({}, 'payload', '{"a":1}'))).toEqual({ payload: { a: 1 } })
  })
})
