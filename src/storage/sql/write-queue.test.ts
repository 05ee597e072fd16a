import { describe, expect, it } from 'vitest'
import { createWriteQueue, MAX_GROUP_RECORDS, SMALL_BATCH } from './write-queue.ts'

interface Batch {
  name: string
  records: number
}

/** A queue whose writes are recorded (the names in each group) and which fails groups containing `failing`. */
function recordingQueue(options: { transactionRecords?: number; failing?: string } = {}) {
  const groups: string[][] = []
  const queue = createWriteQueue<Batch, string>(
    {
      write: async (group) => {
        groups.push(group.map((b) => b.name))
        if (options.failing && group.some((b) => b.name === options.failing)) throw new Error(`${options.failing} is bad`)
        return group.map((b) => `${b.name} written`)
      },
      size: (b) => b.records,
      split: (b, n) => Array.from({ length: Math.ceil(b.records / n) }, (_, i) => ({ name: `${b.name}#${i}`, records: Math.min(n, b.records - i * n) })),
    },
    { transactionRecords: options.transactionRecords },
  )
  return { queue, groups }
}

describe('write queue', () => {
  it('groups batches submitted while nothing is written yet into one write, each hearing its own result', async () => {
    const { queue, groups } = recordingQueue()
    const results = await Promise.all(['a', 'b', 'c'].map((name) => queue.submit({ name, records: 1 })))
    expect(groups).toEqual([['a', 'b', 'c']])
    expect(results).toEqual([['a written'], ['b written'], ['c written']])
  })

  it('caps a group at MAX_GROUP_RECORDS', async () => {
    const { queue, groups } = recordingQueue()
    await Promise.all(['a', 'b', 'c'].map((name) => queue.submit({ name, records: MAX_GROUP_RECORDS / 2 })))
    expect(groups).toEqual([['a', 'b'], ['c']])
  })

  it('writes small batches first, and gives bulk every other turn', async () => {
    const { queue, groups } = recordingQueue()
    const bulk = SMALL_BATCH + 1
    await Promise.all([
      queue.submit({ name: 'bulk1', records: bulk }),
      queue.submit({ name: 'small1', records: 1 }),
      queue.submit({ name: 'bulk2', records: bulk }),
      queue.submit({ name: 'small2', records: 1 }),
    ])
    expect(groups[0]).toEqual(['small1', 'small2'])
    expect(groups[1]).toEqual(['bulk1', 'bulk2'])
  })

  it('cuts a batch larger than transactionRecords into parts and answers with every part', async () => {
    const { queue, groups } = recordingQueue({ transactionRecords: 100 })
    const results = await queue.submit({ name: 'big', records: 250 })
    expect(results).toEqual(['big#0 written', 'big#1 written', 'big#2 written'])
    // One part per transaction (the limit is transactionRecords); the last, small part goes first.
    expect(groups).toEqual([['big#2'], ['big#0'], ['big#1']])
  })

  it('keeps a failure with the batch that caused it: a failed group is retried one batch at a time', async () => {
    const { queue, groups } = recordingQueue({ failing: 'b' })
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((name) => queue.submit({ name, records: 1 })))
    expect(settled[0]).toEqual({ status: 'fulfilled', value: ['a written'] })
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: new Error('b is bad') })
    expect(settled[2]).toEqual({ status: 'fulfilled', value: ['c written'] })
    expect(groups).toEqual([['a', 'b', 'c'], ['a'], ['b'], ['c']])
  })

  it('goes on writing after a failure', async () => {
    const { queue } = recordingQueue({ failing: 'x' })
    await expect(queue.submit({ name: 'x', records: 1 })).rejects.toThrow('x is bad')
    await expect(queue.submit({ name: 'y', records: 1 })).resolves.toEqual(['y written'])
  })
})
