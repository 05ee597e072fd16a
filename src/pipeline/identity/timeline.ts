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

/** How many distinct emails a cookie has logged in with. */
export function distinctEmails(logins: readonly Login[]): number {
  return new Set(logins.map((l) => l.email)).size
}

/**
 * When a cookie became a shared device: the time of the login, in timeline order, that brought its
 * distinct emails past `limit`; null while it is not one. Anonymous observations from then on are
 * the device's own (resolve-batch.ts rule 6). Judged on login times, so arrival order never matters.
 */
export function sharedSince(logins: readonly Login[], limit: number): number | null {
  if (logins.length <= limit) return null
  const seen = new Set<string>()
  for (const login of [...logins].sort(compareLogins)) {
    seen.add(login.email)
    if (seen.size > limit) return login.at
  }
  return null
}

/** Whether an anonymous observation at `at` on a cookie with these logins belongs to the shared device itself. */
export function isSharedDeviceObservation(logins: readonly Login[], at: number, limit: number): boolean {
  const since = sharedSince(logins, limit)
  return since !== null && at >= since
}
