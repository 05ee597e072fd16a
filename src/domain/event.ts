// Behavioural events (track, page, screen) as stored against a profile.

export interface NewEvent {
  profileId: string
  type: 'track' | 'page' | 'screen'
  name: string
  properties: Record<string, unknown>
  context: Record<string, unknown> | null
  at: number
  receivedAt: number
  messageId: string
  rawId: number | null
  anonymousId: string | null
  userId: string | null
}

export interface EventRow extends Omit<NewEvent, 'rawId'> {
  id: number
}
