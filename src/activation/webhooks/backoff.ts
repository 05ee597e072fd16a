// Retry delays for failed webhook deliveries: exponential, capped, with a little jitter so that
// webhooks that failed together (an endpoint restart) do not retry in lockstep.

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number
  /** No delay exceeds this. */
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 60 * 60 * 1_000 }

/**
 * The wait before the next attempt after `attempts` consecutive failures (1 → base, 2 → 2×base, …).
 * Jitter only adds (up to 10%), so a delay is never shorter than its nominal value.
 */
export function retryDelay(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40) // 2^40 × any base is far past any cap
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** exponent)
  return Math.min(policy.capMs, Math.round(nominal * (1 + 0.1 * random())))
}
