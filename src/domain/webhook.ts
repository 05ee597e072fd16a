// A webhook and its delivery state: the change log is its outbox.

export interface Webhook {
  id: string
  segmentId: string
  url: string
  secret: string
  /** The last change the endpoint acknowledged; delivery resumes after it. */
  deliveredChangeId: number
  /** Consecutive failed deliveries; 0 after a success. */
  attempts: number
  /** Epoch ms before which no retry is made; 0 when the webhook is not backing off. */
  nextAttemptAt: number
  lastError: string | null
  lastDeliveredAt: number | null
  /** Purposes a profile must have granted at send time for its 'entered' changes to be sent ('left' always is). */
  requiredConsent: readonly string[]
  createdAt: number
}
