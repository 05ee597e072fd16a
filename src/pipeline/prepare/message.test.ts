import { describe, expect, it } from 'vitest'
import { createPrepareMessage, cutBeforeUserIdMessages } from './message.ts'
import { DEFAULT_QUALITY_POLICIES } from '../validate/index.ts'

const prepare = createPrepareMessage({ validate: { emailBlocklist: new Set() }, qualityPolicies: DEFAULT_QUALITY_POLICIES, interestProperties: undefined })
const context = { source: 'web', batchId: 'bat_1', receivedAt: Date.UTC(2024, 0, 1) }

describe('preparing Segment-spec messages', () => {
  it('hashes a message by its messageId, so a copy sent again is the same raw record', () => {
    const one = prepare({ index: 0, value: { type: 'track', event: 'Viewed', anonymousId: 'a1', messageId: 'm1' } }, context)
    const again = prepare({ index: 1, value: { type: 'track', event: 'Viewed', anonymousId: 'a1', messageId: 'm1', properties: { x: 1 } } }, context)
    expect(one.raw.contentHash).toBe(again.raw.contentHash)
    expect(one.raw.contentType).toBe('segment')
  })

  it('cuts a batch before a userId-only message whose userId an earlier message links', () => {
    const messages = [
      { type: 'identify', anonymousId: 'a1', userId: 'u1', messageId: 'm1' },
      { type: 'track', event: 'Paid', userId: 'u1', messageId: 'm2' },
      { type: 'track', event: 'Viewed', anonymousId: 'a2', messageId: 'm3' },
    ].map((value, index) => prepare({ index, value }, context))
    expect(cutBeforeUserIdMessages(messages).map((part) => part.map((p) => p.index))).toEqual([[0], [1, 2]])
  })

  it('keeps a batch whole when no message depends on an earlier one', () => {
    const messages = [
      { type: 'track', event: 'Paid', userId: 'u1', messageId: 'm1' },
      { type: 'identify', anonymousId: 'a1', userId: 'u2', messageId: 'm2' },
    ].map((value, index) => prepare({ index, value }, context))
    expect(cutBeforeUserIdMessages(messages)).toHaveLength(1)
  })
})
