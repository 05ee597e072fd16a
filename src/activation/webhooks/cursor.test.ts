import { describe, expect, it } from 'vitest'
import { decodeChangeCursor, encodeChangeCursor } from './cursor.ts'

describe('change cursors', () => {
  it('round-trip change ids', () => {
    for (const id of [0, 1, 42, 2 ** 40, 999_999_999_999_999]) expect(decodeChangeCursor(encodeChangeCursor(id))).toBe(id)
  })

  it('reject text that is not a cursor', () => {
    for (const bad of ['', 'now', '!!!', Buffer.from('-1').toString('base64url'), Buffer.from('01').toString('base64url'), `${encodeChangeCursor(5)}!`]) {
      expect(decodeChangeCursor(bad)).toBeUndefined()
    }
  })
})
