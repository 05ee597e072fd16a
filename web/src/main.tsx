// The console: sign in with an API key, then the page the hash names, inside the nav.
import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, describeError, type KeyInfo, storedKey, storeKey } from './api.ts'
import { href, PAGES, useRoute } from './router.tsx'
import { type Session, SessionContext } from './session.tsx'
import { ErrorBox, Loading } from './ui.tsx'
import './styles.css'

function SignIn(props: { onSignedIn: (key: string, info: KeyInfo) => void; error?: string }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState(props.error)
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const info = await api.whoAmI(key.trim())
      props.onSignedIn(key.trim(), info)
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main id="main" class="signin">
      <h1>CDP console</h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} autoFocus />
        <p id="signin-help" class="muted">
          Paste a key (<code>cdp keys create --scopes read</code> makes one). It is kept in this tab only. A read key sees everything and changes
          nothing; an admin key may also erase, unmerge, upload and manage keys.
        </p>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}

function Shell(props: { session: Session }) {
  const route = useRoute()
  const { session } = props
  const visible = PAGES.filter((p) => session.can(p.scope))
  const page = visible.find((p) => p.id === route.page)
  useEffect(() => {
    document.title = `${page?.label ?? 'Not found'} · CDP console`
  }, [page])
  const Page = page?.component
  return (
    <>
      <header class="top">
        <a class="brand" href={href('overview')}>
          CDP
        </a>
        <nav aria-label="Console">
          <ul>
            {visible.map((p) => (
              <li key={p.id}>
                <a href={href(p.id)} aria-current={p.id === route.page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={session.key.id}>
            {session.key.name} <span class="badge">{session.key.scopes.join(', ')}</span>
          </span>
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {Page ? (
          <Page route={route} />
        ) : (
          <section>
            <h1>Not found</h1>
            <p>
              There is no page “{route.page}” for this key. Go to the <a href={href('overview')}>Overview</a>.
            </p>
          </section>
        )}
      </main>
    </>
  )
}

type AppState = { key: string; info: KeyInfo } | { checking: true } | { error?: string }

function App() {
  const [state, setState] = useState<AppState>((): AppState => (storedKey() ? { checking: true } : {}))
  useEffect(() => {
    const key = storedKey()
    if (!key) return
    api.whoAmI(key).then(
      (info) => setState({ key, info }),
      (error: unknown) => {
        storeKey(null)
        setState({ error: describeError(error) })
      },
    )
  }, [])
  const session = useMemo<Session | null>(() => {
    if (!('info' in state)) return null
    const scopes = state.info.scopes
    return {
      key: state.info,
      // The API checks each scope on its own (admin does not imply read), and so does the console.
      can: (scope) => scopes.includes(scope),
      signOut: () => {
        storeKey(null)
        setState({})
      },
    }
  }, [state])
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault()
        document.getElementById('main')?.focus()
      }}>
        Skip to content
      </a>
      {'checking' in state ? (
        <Loading what="Checking the key" />
      ) : session ? (
        <SessionContext.Provider value={session}>
          <Shell session={session} />
        </SessionContext.Provider>
      ) : (
        <SignIn
          error={'error' in state ? state.error : undefined}
          onSignedIn={(key, info) => {
            storeKey(key)
            setState({ key, info })
            // The form is gone: put the focus at the top of the page's content, not on a removed button.
            requestAnimationFrame(() => document.getElementById('main')?.focus())
          }}
        />
      )}
    </>
  )
}

const root = document.getElementById('app')
if (root) render(<App />, root)
