import { describe, expect, it } from 'vitest'
import { createStatisticsKeeper } from './statistics.ts'

/** A refresh that finishes when the test says so. */
function controlledRefresh() {
  const calls: Array<() => void> = []
  return {
    calls,
    refresh: () => new Promise<void>((resolve) => calls.push(resolve)),
  }
}

describe('statistics keeper', () => {
  it('refreshes when the rows written since the last refresh reach those before it, between the bounds', async () => {
    const { calls, refresh } = controlledRefresh()
    const keeper = createStatisticsKeeper({ refresh, minRows: 100, maxRows: 300 })
    // Rows to write before each refresh: minRows first, then as many as were written before, up to maxRows.
    for (const due of [100, 100, 200, 300, 300]) {
      const before = calls.length
      keeper.noteWrites(due - 1)
      expect(calls).toHaveLength(before)
      keeper.noteWrites(1)
      expect(calls).toHaveLength(before + 1)
      calls[before]?.()
      await keeper.settled()
    }
  })

  it('never runs two refreshes at once; rows written meanwhile count towards the next', async () => {
    const { calls, refresh } = controlledRefresh()
    const keeper = createStatisticsKeeper({ refresh, minRows: 10, maxRows: 10 })
    keeper.noteWrites(10)
    keeper.noteWrites(50)
    expect(calls).toHaveLength(1)
    calls[0]?.()
    await keeper.settled()
    keeper.noteWrites(0)
    expect(calls).toHaveLength(2)
    calls[1]?.()
    await keeper.settled()
  })

  it('logs a failed refresh instead of throwing, and tries again when the next one is due', async () => {
    const logged: string[] = []
    let attempts = 0
    const keeper = createStatisticsKeeper({
      refresh: async () => {
        attempts++
        throw new Error('connection reset')
      },
      log: (message) => logged.push(message),
      minRows: 5,
      maxRows: 5,
    })
    keeper.noteWrites(5)
    await keeper.settled()
    expect(logged).toEqual(['refreshing planner statistics failed: Error: connection reset'])
    keeper.noteWrites(5)
    await keeper.settled()
    expect(attempts).toBe(2)
  })
})
