// In-process signal that a segment's change log grew: wakes long-polls, SSE streams and webhook
// deliveries without polling the database. Fired after the transaction that wrote the changes commits.
import { EventEmitter } from 'node:events'

export class ChangeNotifier {
  private readonly emitter = new EventEmitter()

  constructor() {
    // One listener per open stream or webhook: many are expected.
    this.emitter.setMaxListeners(0)
  }

  notify(segmentIds: Iterable<string>): void {
    for (const id of new Set(segmentIds)) this.emitter.emit(id)
  }

  /** Calls `listener` whenever the segment has new changes; returns the unsubscribe function. */
  subscribe(segmentId: string, listener: () => void): () => void {
    this.emitter.on(segmentId, listener)
    return () => this.emitter.off(segmentId, listener)
  }
}
