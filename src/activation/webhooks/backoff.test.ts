import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKOFF, retryDelay } from './backoff.ts'

describe('retryDelay', () => {
  it('doubles from the base with each failure', () => {
    const none = () => 0
    expect([1, 2, 3, 4].map((n) => retryDelay(n, DEFAULT_BACKOFF, none))).toEqual([1_000, 2_000, 4_000, 8_000])
  })

  it('never exceeds the cap, however many failures', () => {
    expect(retryDelay(13, DEFAULT_BACKOFF, () => 0.99)).toBe(3_600_000)
    expect(retryDelay(10_000, DEFAULT_BACKOFF, () => 0.99)).toBe(3_600_000)
  })

  it('adds at most 10% jitter', () => {
    expect(retryDelay(1, DEFAULT_BACKOFF, () => 0.5)).toBe(1_050)
    expect(retryDelay(2, { baseMs: 100, capMs: 1_000 }, () => 1)).toBe(220)
  })
})
