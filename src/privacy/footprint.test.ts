import { describe, expect, it } from 'vitest'
import type { PersonRows, RawCandidate } from '../storage/ports/privacy.ts'
import { footprintIds, payloadNames, personKeys } from './footprint.ts'

const accepted = (id: number, cookie: string, email: string | null, observedAt: number): RawCandidate => ({ id, status: 'accepted', cookie, email, observedAt })

function rows(partial: Partial<PersonRows>): PersonRows {
  return { profileId: 'prof_a', identities: [], loginCookies: [], logins: new Map(), candidates: [], eventRawIds: [], unresolved: [], ...partial }
}

describe('footprint', () => {
  it('gives a shared cookie’s anonymous records to the person the login timeline assigns them to', () => {
    const person = rows({
      identities: [{ kind: 'email', value: 'a@x.org', firstSeen: 0, lastSeen: 0 }],
      loginCookies: ['shared'],
      logins: new Map([['shared', [{ email: 'a@x.org', at: 10 }, { email: 'b@x.org', at: 20 }]]]),
      candidates: [accepted(1, 'shared', 'a@x.org', 10), accepted(2, 'shared', null, 5), accepted(3, 'shared', null, 15), accepted(4, 'shared', null, 25), accepted(5, 'shared', 'b@x.org', 20)],
    })
    expect(footprintIds(person, personKeys(person))).toEqual([1, 2, 3])
  })

  it('takes every anonymous record of a cookie that never logged in, the "uid:" key of a user id, and its events’ rows', () => {
    const person = rows({
      identities: [
        { kind: 'cookie', value: 'c1', firstSeen: 0, lastSeen: 0 },
        { kind: 'user', value: 'u-7', firstSeen: 0, lastSeen: 0 },
      ],
      candidates: [accepted(1, 'c1', null, 5), accepted(2, 'uid:u-7', null, 6)],
      eventRawIds: [9],
    })
    const keys = personKeys(person)
    expect(keys.ownCookies).toEqual(['c1'])
    expect(footprintIds(person, keys)).toEqual([1, 2, 9])
  })

  it('finds rejected records by cookie, or by an email or user id that is a whole JSON string value', () => {
    const person = rows({
      identities: [
        { kind: 'email', value: 'a@x.org', firstSeen: 0, lastSeen: 0 },
        { kind: 'user', value: '42', firstSeen: 0, lastSeen: 0 },
        { kind: 'cookie', value: 'c1', firstSeen: 0, lastSeen: 0 },
      ],
      unresolved: [
        { id: 1, status: 'rejected', cookie: 'c1', email: null, observedAt: null, payload: '{}' },
        { id: 2, status: 'rejected', cookie: null, email: null, observedAt: null, payload: '{"contact":{"mail":" A@X.org"}}' },
        { id: 3, status: 'rejected', cookie: null, email: null, observedAt: null, payload: '{"note":"ba@x.org"}' },
        { id: 4, status: 'superseded', cookie: null, email: null, observedAt: null, payload: '{"userId":"42"}' },
        { id: 5, status: 'rejected', cookie: null, email: null, observedAt: null, payload: '{"age":42}' },
      ],
    })
    expect(footprintIds(person, personKeys(person))).toEqual([1, 2, 4])
  })

  it("leaves a rejected record on their cookie that carries another person's address to that person", () => {
    const person = rows({
      identities: [
        { kind: 'email', value: 'a@x.org', firstSeen: 0, lastSeen: 0 },
        { kind: 'cookie', value: 'laptop', firstSeen: 0, lastSeen: 0 },
      ],
      unresolved: [
        { id: 1, status: 'rejected', cookie: 'laptop', email: null, observedAt: null, payload: '{"cookie":"laptop","email":"Bob@Y.org","age":"old"}' },
        { id: 2, status: 'rejected', cookie: 'laptop', email: null, observedAt: null, payload: '{"cookie":"laptop","email":"a@x.org","age":"old"}' },
        { id: 3, status: 'rejected', cookie: 'laptop', email: null, observedAt: null, payload: '{"cookie":"laptop","email":"bob@","age":"old"}' },
        { id: 4, status: 'rejected', cookie: 'laptop', email: null, observedAt: null, payload: 'laptop,bob@y.org' },
      ],
    })
    // 2 names her; 3 names no valid address and 4 is no JSON: whose they are cannot be told.
    expect(footprintIds(person, personKeys(person))).toEqual([2, 3, 4])
  })

  it('reads a payload that was never JSON as text', () => {
    expect(payloadNames('cookie,A@X.ORG,1', new Set(['a@x.org']), new Set())).toBe(true)
    expect(payloadNames('cookie,b@x.org', new Set(['a@x.org']), new Set())).toBe(false)
  })
})
