// docs/errors.md and src/errors.ts list the same codes, and each code maps to the documented status.
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { STATUS_BY_CODE } from '../../src/api/errors.ts'
import { ERROR_CODES } from '../../src/errors.ts'

describe('error codes', () => {
  it('are documented one per line in docs/errors.md with their HTTP status', () => {
    const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])])
    expect(documented).toEqual(ERROR_CODES.map((code) => [code, STATUS_BY_CODE[code]]))
  })
})
