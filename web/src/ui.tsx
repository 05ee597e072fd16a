// Small shared pieces: loading data, showing errors, a confirmation dialog, number formatting.
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks'
import { describeError } from './api.ts'

export interface Loaded<T> {
  data: T | undefined
  error: string | undefined
  loading: boolean
  reload(): void
}

/** Runs `load` now and whenever `deps` change; a newer load wins over an older one still in flight. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const controller = new AbortController()
    setState((s) => ({ ...s, loading: true }))
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !controller.signal.aborted && setState((s) => ({ data: s.data, error: describeError(error), loading: false })),
    )
    return () => controller.abort()
  }, [...deps, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data: state.data, error: state.error, loading: state.loading, reload }
}

export function ErrorBox({ error }: { error: string | undefined }) {
  if (!error) return null
  return (
    <p class="error" role="alert">
      {error}
    </p>
  )
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" aria-live="polite">
      {what}…
    </p>
  )
}

/** A modal confirmation (the browser's own <dialog>: focus is trapped and Escape cancels). */
export function ConfirmButton(props: {
  label: string
  /** The button's name for screen readers when the visible label is not enough ("Revoke" → "Revoke marketing key"). */
  accessibleName?: string
  title: string
  children: ComponentChildren
  confirmLabel?: string
  danger?: boolean
  onConfirm: () => Promise<void> | void
}) {
  const dialog = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await props.onConfirm()
      dialog.current?.close()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : ''} aria-label={props.accessibleName} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <form method="dialog" onSubmit={submit}>
          <h2 id={titleId}>{props.title}</h2>
          <div>{props.children}</div>
          <ErrorBox error={error} />
          <div class="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>
              {busy ? 'Working…' : (props.confirmLabel ?? props.label)}
            </button>
          </div>
        </form>
      </dialog>
    </>
  )
}

const numberFormat = new Intl.NumberFormat('en-US')
export const formatNumber = (n: number | null | undefined) => (n === null || n === undefined ? '–' : numberFormat.format(n))
export const formatPercent = (share: number) => `${(share * 100).toFixed(1)}%`
/** 2026-12-01 17:44 UTC: one format everywhere, in UTC, so times read the same as the API's. */
export const formatTime = (iso: string | number | null | undefined) =>
  iso === null || iso === undefined ? '–' : `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** Calls `tick` every `ms` while the page is visible; paused while the tab is hidden. */
export function useInterval(tick: () => void, ms: number): void {
  const saved = useRef(tick)
  saved.current = tick
  useEffect(() => {
    let timer: number | undefined
    const start = () => {
      if (timer === undefined) timer = window.setInterval(() => saved.current(), ms)
    }
    const stop = () => {
      if (timer !== undefined) window.clearInterval(timer)
      timer = undefined
    }
    const onVisibility = () => {
      if (document.hidden) stop()
      else {
        saved.current()
        start()
      }
    }
    if (!document.hidden) start()
    document.addEventListener('visibilitychange', onVisibility)
    return () => {
      stop()
      document.removeEventListener('visibilitychange', onVisibility)
    }
  }, [ms])
}

export function download(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
