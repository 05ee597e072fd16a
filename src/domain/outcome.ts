// The one result shape for expected outcomes (a rejected record, a definition that does not parse,
// a body that is not JSON): a value, never an exception. Exceptions are for bugs and outages.

export interface Ok<T> {
  readonly kind: 'ok'
  readonly value: T
}

/** `reason` is a stable code or a message for people; `detail` carries what the caller needs to report it. */
export interface Rejected<D = undefined> {
  readonly kind: 'rejected'
  readonly reason: string
  readonly detail: D
}

export type Outcome<T, D = undefined> = Ok<T> | Rejected<D>

export function ok<T>(value: T): Ok<T> {
  return { kind: 'ok', value }
}

export function rejected(reason: string): Rejected
export function rejected<D>(reason: string, detail: D): Rejected<D>
export function rejected<D>(reason: string, detail?: D): Rejected<D | undefined> {
  return { kind: 'rejected', reason, detail }
}
