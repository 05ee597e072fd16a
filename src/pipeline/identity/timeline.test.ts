import { describe, expect, it } from 'vitest'
import { assignAnonymous, latestLogin } from './timeline.ts'

const logins = [
  { email: 'alice@x.org', at: 10 },
  { email: 'bob@x.org', at: 20 },
]

describe('login timeline', () => {
  it('gives the cookie to its latest login', () => {
    expect(latestLogin(logins)?.email).toBe('bob@x.org')
    expect(latestLogin([...logins].reverse())?.email).toBe('bob@x.org')
  })

  it('breaks a tie between simultaneous logins by email, not by order', () => {
    const tied = [
      { email: 'zed@x.org', at: 5 },
      { email: 'amy@x.org', at: 5 },
    ]
    expect(latestLogin(tied)?.email).toBe(latestLogin([...tied].reverse())?.email)
  })

  it('assigns anonymous observations to the latest login at or before them', () => {
    expect(assignAnonymous(logins, 15)).toBe('alice@x.org')
    expect(assignAnonymous(logins, 20)).toBe('bob@x.org')
    expect(assignAnonymous(logins, 99)).toBe('bob@x.org')
  })

  it('assigns observations before every login to the first login after them', () => {
    expect(assignAnonymous(logins, 1)).toBe('alice@x.org')
  })

  it('leaves a cookie that never logged in anonymous', () => {
    expect(assignAnonymous([], 5)).toBeNull()
  })
})
