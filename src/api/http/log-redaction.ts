// What a request log may say about a request: its method and path, and the query string with every
// value redacted except those of a short list of parameters that never hold personal data. Identifiers
// (email, cookie, user_id, phone, raw_value, …) reach the API in query strings, so a logged URL would
// otherwise put them into every log line of GET /api/user and DELETE /api/user (docs/privacy.md, Logs).

/** Query parameters whose values are not about a person: paging, filters, switches. Everything else is redacted. */
export const LOGGED_QUERY_PARAMETERS: ReadonlySet<string> = new Set([
  'limit',
  'offset',
  'after_id',
  'cursor',
  'since',
  'status',
  'source',
  'events',
  'explain',
  'wait',
  'suppress',
  'consent_history',
  'on_invalid',
  'delimiter',
  'format',
])

export const REDACTED = '[redacted]'

/** The URL with the value of every query parameter not in LOGGED_QUERY_PARAMETERS replaced by [redacted]. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?')
  if (at < 0) return url
  const query = url.slice(at + 1)
  if (query === '') return url
  const parts = query.split('&').map((part) => {
    const equals = part.indexOf('=')
    const rawName = equals < 0 ? part : part.slice(0, equals)
    let name: string
    try {
      name = decodeURIComponent(rawName.replaceAll('+', ' '))
    } catch {
      // A name that is not valid percent-encoding is no parameter we know: it may hold anything.
      return REDACTED
    }
    if (LOGGED_QUERY_PARAMETERS.has(name)) return part
    // A parameter's name could itself be an identifier (?jane@example.com): only known names are kept.
    const kept = /^[a-z][a-z0-9_]{0,63}$/.test(name) ? rawName : REDACTED
    return equals < 0 ? kept : `${kept}=${REDACTED}`
  })
  return `${url.slice(0, at)}?${parts.join('&')}`
}

/** Fastify's request serializer (its default logs the whole URL and the client's address), redacted. */
export function serializeRequest(request: { method: string; url: string; host?: string }): Record<string, unknown> {
  // The client's IP address is personal data too (browsers post /v1 directly): not logged.
  return { method: request.method, url: redactUrl(request.url), host: request.host }
}
