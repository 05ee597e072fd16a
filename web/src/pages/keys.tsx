// Keys: list, create (the key is shown once, with a copy button), revoke. Admin keys only.
import { useState } from 'preact/hooks'
import { api, describeError, type Scope } from '../api.ts'
import type { PageProps } from '../router.tsx'
import { useSession } from '../session.tsx'
import { ConfirmButton, ErrorBox, formatTime, Loading, useLoad } from '../ui.tsx'

interface KeyRow {
  id: string
  name: string
  scopes: Scope[]
  created_at: string
  revoked_at: string | null
}

const SCOPES: Array<{ id: Scope; about: string }> = [
  { id: 'read', about: 'read profiles, cohorts, segments, events' },
  { id: 'ingest', about: 'send records and events' },
  { id: 'admin', about: 'keys, raw records, erase, unmerge, segments' },
]

function CreateKey(props: { onCreated: () => void }) {
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<Scope[]>(['read'])
  const [created, setCreated] = useState<{ id: string; key: string; scopes: string[] }>()
  const [error, setError] = useState<string>()
  const [copied, setCopied] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    setError(undefined)
    setCopied(false)
    try {
      setCreated(await api.post<{ id: string; key: string; scopes: string[] }>('/api/keys', { name: name.trim(), scopes }))
      setName('')
      props.onCreated()
    } catch (e) {
      setError(describeError(e))
    }
  }
  return (
    <div class="panel">
      <h2>Create a key</h2>
      <form onSubmit={submit}>
        <div class="row">
          <div>
            <label for="key-name">Name</label>
            <input id="key-name" required maxLength={100} value={name} placeholder="e.g. marketing dashboard" onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((s) => (
              <label key={s.id} class="inline" title={s.about}>
                <input
                  type="checkbox"
                  checked={scopes.includes(s.id)}
                  onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, s.id] : scopes.filter((x) => x !== s.id))}
                />{' '}
                {s.id}
              </label>
            ))}
          </fieldset>
          <button type="submit" class="primary" disabled={scopes.length === 0 || name.trim() === ''}>
            Create
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {created ? (
        <div role="status">
          <p>
            <strong>Key {created.id} ({created.scopes.join(', ')}).</strong> It is shown only this once: copy it now.
          </p>
          <p class="keyshown" id="new-key">
            {created.key}
          </p>
          <button
            type="button"
            onClick={async () => {
              await navigator.clipboard.writeText(created.key).then(
                () => setCopied(true),
                () => setError('the browser refused the clipboard: select the key and copy it by hand'),
              )
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      ) : null}
    </div>
  )
}

export function KeysPage(_props: PageProps) {
  const session = useSession()
  const keys = useLoad((signal) => api.get<KeyRow[]>('/api/keys', undefined, signal), [])
  return (
    <section>
      <h1>Keys</h1>
      <CreateKey onCreated={keys.reload} />
      <div class="panel">
        <h2>Keys</h2>
        <ErrorBox error={keys.error} />
        {!keys.data ? (
          <Loading />
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Id</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Status</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.id}</code>
                  </td>
                  <td>{k.scopes.join(', ')}</td>
                  <td>{formatTime(k.created_at)}</td>
                  <td>{k.revoked_at ? <span class="badge bad">revoked {formatTime(k.revoked_at)}</span> : <span class="badge ok">active</span>}</td>
                  <td>
                    {k.revoked_at ? null : (
                      <ConfirmButton
                        label="Revoke"
                        accessibleName={`Revoke ${k.name}`}
                        title={`Revoke “${k.name}”?`}
                        confirmLabel="Revoke"
                        danger
                        onConfirm={async () => {
                          await api.del(`/api/keys/${encodeURIComponent(k.id)}`)
                          keys.reload()
                        }}
                      >
                        <p>
                          Requests with this key fail within 10 seconds on every server.
                          {k.id === session.key.id ? <strong> This is the key you are signed in with.</strong> : null}
                        </p>
                      </ConfirmButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  )
}
