// Cohorts: sizes, members, the classifier playground, custom cohorts and corrections.
// Placeholder: console-b replaces this file (the router imports CohortsPage from this path).
import type { PageProps } from '../../router.tsx'

export function CohortsPage(_props: PageProps) {
  return (
    <section>
      <h1>Cohorts</h1>
      <p class="muted">Coming soon.</p>
    </section>
  )
}
