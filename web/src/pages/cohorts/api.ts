// What the Cohorts page asks of the API (src/api/routes/cohorts.ts and model.ts), over the small
// request interface both of this console's pages (cohorts, audiences) use.
import { request, storedKey } from '../../api.ts'

/** A signed-in API: JSON requests with the key, and raw fetches (downloads, streams) with it too. */
export interface ConsoleApi {
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: { body?: unknown; signal?: AbortSignal }): Promise<T>
  fetch(path: string, init?: RequestInit): Promise<Response>
}

/** The console's own client (web/src/api.ts), with the signed-in key on raw fetches too. */
export const consoleApi: ConsoleApi = {
  request: (method, path, options = {}) => request(path, { method, body: options.body, signal: options.signal }),
  fetch: (path, init = {}) => {
    const headers = new Headers(init.headers)
    const key = storedKey()
    if (key) headers.set('authorization', `Bearer ${key}`)
    return fetch(path, { ...init, headers })
  },
}

export interface Cohort {
  id: string
  name: string
  description: string
  members: number
}

export interface CohortMember {
  profile_id: string
  cookie: string | null
  email: string | null
  score: number
  assigned_at: string
}

export interface Explanation {
  normalized?: string
  decision?: string
  corrections?: Array<{ from?: string; to?: string } & Record<string, unknown>>
  gazetteer?: Array<{ alias: string; cohorts: string[]; whole: boolean; source: string }>
  probabilities?: Array<{ label: string; probability: number }>
  features?: Array<{ feature: string; contribution: number }>
  threshold?: number
  [key: string]: unknown
}

export interface Classification {
  text: string
  cohorts: Array<{ name: string; score: number }>
  explanation?: Explanation
}

export interface ModelState {
  model_version: string
  up_to_date: boolean
  training: 'idle' | 'scheduled' | 'training' | 'failed'
  last_trained_at: string | null
  training_error: string | null
}

export interface Correction {
  interest: string
  cohorts: string[]
  created_at: string
}

export function cohortsApi(api: ConsoleApi) {
  return {
    list: () => api.request<Cohort[]>('GET', '/api/cohorts'),
    members: (cohort: string, cursor: string | null, limit = 25) =>
      api.request<{ total: number; users: CohortMember[]; next_cursor: string | null }>(
        'GET',
        `/api/cohort/users?cohort=${encodeURIComponent(cohort)}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    classify: (interests: string[], signal?: AbortSignal) =>
      api.request<{ model_version: string; results: Classification[] }>('POST', '/api/classify', { body: { interests, explain: true }, signal }),
    model: () => api.request<ModelState>('GET', '/api/model'),
    create: (input: { name: string; description: string; terms: string[]; examples: string[] }) =>
      api.request<Cohort & { model: ModelState }>('POST', '/api/cohorts', { body: input }),
    corrections: () => api.request<Correction[]>('GET', '/api/cohorts/corrections'),
    correct: (input: { interest: string; cohorts: string[] }) => api.request<Correction>('POST', '/api/cohorts/corrections', { body: input }),
    reclassify: () => api.request<ModelState>('POST', '/api/cohorts/reclassify'),
  }
}
