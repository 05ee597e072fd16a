// The person search: one form, an identifier and what kind it is (or a guess).
import { useState } from 'preact/hooks'
import { href, navigate } from '../../router.tsx'

export const PERSON_KINDS = [
  { id: 'email', label: 'Email', example: 'jane@example.com' },
  { id: 'cookie', label: 'Cookie', example: 'anonymous id' },
  { id: 'user_id', label: 'User id', example: 'u-123' },
  { id: 'phone', label: 'Phone', example: '+15551234567' },
  { id: 'device_id', label: 'Device id', example: 'an app install id' },
  { id: 'identifier', label: 'Other kind (kind:value)', example: 'loyalty_id:L-1001' },
  { id: 'profile_id', label: 'Profile id', example: 'prof_…' },
] as const
export type PersonKind = (typeof PERSON_KINDS)[number]['id']

export function isPersonKind(value: string | undefined): value is PersonKind {
  return PERSON_KINDS.some((k) => k.id === value)
}

/** Guesses what was typed: an @ is an email, prof_ a profile id, "+" and digits a phone, kind:value any kind; else a cookie. */
function guessKind(value: string): PersonKind {
  if (value.includes('@')) return 'email'
  if (/^prof_/.test(value)) return 'profile_id'
  if (/^\+[\d\s().-]{6,}$/.test(value)) return 'phone'
  if (/^[a-z][a-z0-9_]*:./.test(value)) return 'identifier'
  return 'cookie'
}

export function SearchForm(props: { kind?: PersonKind; value?: string }) {
  const [kind, setKind] = useState<PersonKind | 'auto'>(props.kind ?? 'auto')
  const [value, setValue] = useState(props.value ?? '')
  const submit = (event: Event) => {
    event.preventDefault()
    const text = value.trim()
    if (!text) return
    navigate(href('people', kind === 'auto' ? guessKind(text) : kind, text))
  }
  return (
    <form role="search" onSubmit={submit} class="panel">
      <div class="row">
        <div>
          <label for="person-kind">Find by</label>
          <select id="person-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as PersonKind | 'auto')}>
            <option value="auto">Any (guess)</option>
            {PERSON_KINDS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <div style="flex:1">
          <label for="person-value">Identifier</label>
          <input id="person-value" name="q" type="search" required value={value} placeholder="jane@example.com, a cookie, +15551234567, loyalty_id:L-1001 or prof_…" onInput={(e) => setValue(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">
          Find
        </button>
      </div>
    </form>
  )
}

