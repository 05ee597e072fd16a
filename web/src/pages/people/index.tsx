// People: find a person by email, cookie, user id or profile id (#/people), and their profile
// (#/people/<kind>/<value>).
import type { PageProps } from '../../router.tsx'
import { ProfilePage } from './profile.tsx'
import { isPersonKind, SearchForm } from './search.tsx'

export function PeoplePage({ route }: PageProps) {
  const [kind, value] = route.rest
  if (isPersonKind(kind) && value) return <ProfilePage kind={kind} value={value} />
  return (
    <section>
      <h1>People</h1>
      <SearchForm />
      <p class="muted">
        Type an email, a cookie (anonymous id), a user id or a profile id. The profile shows everything the platform knows about the person: attributes, the
        identity graph and the merges behind it, interests and cohorts with the model's reasons, segments, consent and the latest events.
      </p>
    </section>
  )
}
