// A small typed client for the CDP API: the bearer key comes from sessionStorage (it lasts as long as
// the tab), and every failure is an ApiError carrying the API's envelope {error: {code, message}}, whose
// message says what to fix and is shown to the user as it is.

const KEY_STORAGE = 'cdp.key'

export type Scope = 'ingest' | 'read' | 'admin'

export interface KeyInfo {
  id: string
  name: string
  scopes: Scope[]
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  constructor(status: number, code: string, message: string, requestId?: string) {
    super(message)
    this.status = status
    this.code = code
    this.requestId = requestId
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE)
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE)
  else sessionStorage.setItem(KEY_STORAGE, key)
}

export type Query = Record<string, string | number | boolean | undefined | null>

export function queryString(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** The envelope's message, or a plain description when the answer is not the API's JSON. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; request_id?: string } }
    if (body.error?.message) return new ApiError(response.status, body.error.code ?? 'error', body.error.message, body.error.request_id)
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText || 'request failed'}`)
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Query
  body?: unknown
  /** Overrides the stored key (sign-in checks a key before storing it). */
  key?: string
  signal?: AbortSignal
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? storedKey()
  const headers: Record<string, string> = { accept: 'application/json' }
  if (key) headers.authorization = `Bearer ${key}`
  let body: string | undefined
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  let response: Response
  try {
    response = await fetch(`${path}${queryString(options.query)}`, { method: options.method ?? 'GET', headers, body, signal: options.signal })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error
    throw new ApiError(0, 'network', 'the server cannot be reached: is it running?')
  }
  if (!response.ok) throw await errorFrom(response)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>(path, { method: 'POST', body, query }),
  put: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string, query?: Query) => request<T>(path, { method: 'DELETE', query }),
  /** Who a key is and what it may do. */
  whoAmI: (key?: string) => request<KeyInfo>('/api/auth/key', { key }),
}

/** A message for anything a request can throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error) return error.message
  return String(error)
}
