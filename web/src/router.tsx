// Hash routing (#/people/prof_1): the server serves index.html at `/` and the browser keeps the rest,
// so reloads and shared links work without the server knowing the console's routes.
import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { AudiencesPage } from './pages/audiences/index.tsx'
import { CohortsPage } from './pages/cohorts/index.tsx'
import { DataPage } from './pages/data.tsx'
import { KeysPage } from './pages/keys.tsx'
import { LikelyMatchesPage } from './pages/likely-matches.tsx'
import { OverviewPage } from './pages/overview.tsx'
import { PeoplePage } from './pages/people/index.tsx'
import type { Scope } from './api.ts'

/** Where a page is: the path segments after its own name (#/people/prof_1 → ['prof_1']) and the query. */
export interface Route {
  page: string
  rest: string[]
  query: URLSearchParams
}

export interface PageProps {
  route: Route
}

interface PageEntry {
  id: string
  label: string
  component: ComponentType<PageProps>
  /** The scope a key needs to see the page at all. */
  scope: Scope
}

export const PAGES: PageEntry[] = [
  { id: 'overview', label: 'Overview', component: OverviewPage, scope: 'read' },
  { id: 'people', label: 'People', component: PeoplePage, scope: 'read' },
  { id: 'cohorts', label: 'Cohorts', component: CohortsPage, scope: 'read' },
  { id: 'audiences', label: 'Audiences', component: AudiencesPage, scope: 'read' },
  { id: 'data', label: 'Data', component: DataPage, scope: 'admin' },
  { id: 'likely-matches', label: 'Likely matches', component: LikelyMatchesPage, scope: 'admin' },
  { id: 'keys', label: 'Keys', component: KeysPage, scope: 'admin' },
]

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '')
  const [pathPart = '', queryPart = ''] = text.split('?', 2)
  const segments = pathPart.split('/').filter(Boolean).map((s) => decodeURIComponent(s))
  return { page: segments[0] ?? 'overview', rest: segments.slice(1), query: new URLSearchParams(queryPart) }
}

/** The href of a console route: href('people', 'prof_1') → '#/people/prof_1'. */
export function href(page: string, ...rest: string[]): string {
  return `#/${[page, ...rest].map((s) => encodeURIComponent(s)).join('/')}`
}

export function navigate(to: string): void {
  window.location.hash = to.startsWith('#') ? to : `#${to}`
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash))
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}
