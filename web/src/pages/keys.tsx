import type { PageProps } from '../router.tsx'

export function KeysPage(_props: PageProps) {
  return (
    <section>
      <h1>Keys</h1>
    </section>
  )
}
