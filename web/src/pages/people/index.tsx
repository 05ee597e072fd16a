import type { PageProps } from '../../router.tsx'

export function PeoplePage(_props: PageProps) {
  return (
    <section>
      <h1>People</h1>
    </section>
  )
}
