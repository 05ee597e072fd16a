// The audience builder: segments, their live preview, versions, members, exports, webhooks, changes.
// Placeholder: console-b replaces this file (the router imports AudiencesPage from this path).
import type { PageProps } from '../../router.tsx'

export function AudiencesPage(_props: PageProps) {
  return (
    <section>
      <h1>Audiences</h1>
      <p class="muted">Coming soon.</p>
    </section>
  )
}
