import { describe, expect, it } from 'vitest'
import { applyFix, parseFieldMapping, parsePatch } from './record-fix.ts'

const patch = (doc: unknown, ops: unknown) => applyFix(doc, { mappings: [], patch: parsePatch(ops) })

describe('field mappings', () => {
  it('moves a near-miss field to its known name, nesting dotted targets', () => {
    const fix = { mappings: ['E-mail=email', 'Zip=location.zip'].map(parseFieldMapping), patch: [] }
    expect(applyFix({ cookie: 'c', 'E-mail': 'a@example.org', Zip: '75001', location: { city: 'Paris' } }, fix)).toEqual({
      kind: 'ok',
      value: { cookie: 'c', email: 'a@example.org', location: { city: 'Paris', zip: '75001' } },
    })
  })

  it('leaves a record without the field as it is, and refuses a mapping without =', () => {
    expect(applyFix({ cookie: 'c' }, { mappings: [parseFieldMapping('Phone=phone')], patch: [] })).toEqual({ kind: 'ok', value: { cookie: 'c' } })
    expect(() => parseFieldMapping('email')).toThrow(/FROM=TO/)
  })
})

describe('JSON Patch (RFC 6902)', () => {
  // The examples of RFC 6902, appendix A.
  it.each([
    [{ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    [{ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    [{ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    [{ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    [{ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [{ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }], { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } }],
    [{ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
    [{ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    [{ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    [{ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }, { op: 'copy', from: '/~1', path: '/slash' }], { '/': 9, '~1': 10, slash: 9 }],
    [{ baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }], { baz: 'qux', foo: ['a', 2, 'c'] }],
  ])('%j + %j', (doc, ops, expected) => {
    expect(patch(doc, ops)).toEqual({ kind: 'ok', value: expected })
  })

  it.each([
    [{ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], /test: \/baz is "qux"/],
    [{ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], /parent of \/baz\/bat does not exist/],
    [{ foo: 'bar' }, [{ op: 'remove', path: '/nope' }], /nothing at \/nope/],
    [{ foo: 'bar' }, [{ op: 'replace', path: '/nope', value: 1 }], /nothing at \/nope/],
    [{ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], /inside/],
  ])('fails as a whole: %j + %j', (doc, ops, message) => {
    const result = patch(doc, ops)
    expect(result.kind).toBe('rejected')
    expect(result.kind === 'rejected' && result.reason).toMatch(message)
    expect(doc).toEqual(structuredClone(doc))
  })

  it('refuses a malformed patch, naming the operation', () => {
    expect(() => parsePatch({ op: 'add' })).toThrow(/array of operations/)
    expect(() => parsePatch([{ op: 'add', path: '/a' }])).toThrow(/operation 0 \("add"\) needs a "value"/)
    expect(() => parsePatch([{ op: 'frob', path: '/a' }])).toThrow(/use add, remove/)
    expect(() => parsePatch([{ op: 'remove', path: 'a' }])).toThrow(/must start with "\/"/)
  })

  it('never reaches a prototype', () => {
    const result = patch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(result.kind === 'ok' && Object.getPrototypeOf(result.value)).toBe(Object.prototype)
  })
})
