// The signed-in key and what it may do. Pages ask `can('admin')` before showing a button that changes
// anything: a read key sees everything and changes nothing.
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { KeyInfo, Scope } from './api.ts'

export interface Session {
  key: KeyInfo
  can(scope: Scope): boolean
  signOut(): void
}

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (!session) throw new Error('useSession outside a signed-in console')
  return session
}
