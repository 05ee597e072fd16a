// A shared cookie's login timeline decides which person each of its observations belongs to.
// "The most recent login wins" is judged by observation time, never by arrival order, so that
// ingesting the same records in any order yields the same people:
// - the cookie currently belongs to the email of its latest login;
// - an anonymous observation belongs to the latest login at or before it (that person was using
//   the device), or, when it predates every login, to the first login after it (the visitor who
//   went on to register or log in).
import type { Login } from '../../domain/profile.ts'

/** Orders logins by time, then by email so that simultaneous logins still have one winner. */
export function compareLogins(a: Login, b: Login): number {
  if (a.at !== b.at) return a.at - b.at
  return a.email < b.email ? -1 : a.email > b.email ? 1 : 0
}

export function latestLogin(logins: readonly Login[]): Login | undefined {
  let best: Login | undefined
  for (const login of logins) if (!best || compareLogins(login, best) > 0) best = login
  return best
}

/** The email an anonymous observation at `at` belongs to, or null when the cookie never logged in. */
export function assignAnonymous(logins: readonly Login[], at: number): string | null {
  let before: Login | undefined
  let after: Login | undefined
  for (const login of logins) {
    if (login.at <= at) {
      if (!before || compareLogins(login, before) > 0) before = login
    } else if (!after || compareLogins(login, after) < 0) {
      after = login
    }
  }
  return (before ?? after)?.email ?? null
}
