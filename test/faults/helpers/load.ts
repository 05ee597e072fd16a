// Sustained ingest for fault tests: a few workers post batches of records with unique cookies, one
// batch in flight each, and remember what every answer was. A record counts as acknowledged only
// when its batch was answered 200.

export type Answer = { status: number; body: unknown } | { status: 'no answer'; error: unknown }

export interface IngestLoad {
  /** Cookies of the records whose batch was answered 200. */
  readonly acknowledged: string[]
  /** How many answers had each status so far ('no answer': the connection failed). */
  count(status: number | 'no answer'): number
  /** Answers other than 200 and the expected failure, with their bodies, for the test to show. */
  readonly unexpected: Answer[]
  stop(): Promise<void>
}

export interface LoadOptions {
  workers: number
  recordsPerBatch: number
  /** Cookies start with this, so two runs never collide. */
  prefix: string
  /** Which answers are expected besides 200 (a 503 during an outage, no answer after a kill). */
  expected: (answer: Answer) => boolean
}

export function sustainIngest(send: (records: object[]) => Promise<Answer>, options: LoadOptions): IngestLoad {
  const acknowledged: string[] = []
  const unexpected: Answer[] = []
  const counts = new Map<number | 'no answer', number>()
  let running = true
  let sequence = 0
  const worker = async (w: number) => {
    while (running) {
      const records = Array.from({ length: options.recordsPerBatch }, () => {
        const n = sequence++
        return { cookie: `${options.prefix}-${w}-${n}`, email: `${options.prefix}-${w}-${n}@example.com`, age: 20 + (n % 50), interests: 'running shoes' }
      })
      const answer = await send(records)
      counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1)
      if (answer.status === 200) acknowledged.push(...records.map((r) => r.cookie))
      else if (!options.expected(answer)) unexpected.push(answer)
      // Failures come back at once: pause a little so a worker does not spin while the store is down.
      if (answer.status !== 200) await sleep(20)
    }
  }
  const workers = Array.from({ length: options.workers }, (_, w) => worker(w))
  return {
    acknowledged,
    unexpected,
    count: (status) => counts.get(status) ?? 0,
    async stop() {
      running = false
      await Promise.all(workers)
    },
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls until `condition` holds; fails naming `what` after a generous deadline (never a timing assertion). */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}
