import type { PageProps } from '../router.tsx'

export function DataPage(_props: PageProps) {
  return (
    <section>
      <h1>Data</h1>
    </section>
  )
}
