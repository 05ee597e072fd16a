// Worker thread entry of the prepare pool (prepare/pool.ts): runs each task it is sent and posts the
// outcome back with the task's id. A task that throws (a bug) is answered as failed and the worker
// lives on; a worker that dies is the pool's to replace.
import { parentPort, workerData } from 'node:worker_threads'
import { createPrepareTasks, type PrepareSettings, type PrepareTask, type WorkerReply } from './tasks.ts'

const runPrepareTask = createPrepareTasks((workerData as { data: PrepareSettings }).data)
const port = parentPort
if (port === null) throw new Error('prepare/worker.ts runs as a worker thread (prepare/pool.ts starts it)')

port.on('message', ({ id, task }: { id: number; task: PrepareTask }) => {
  let reply: WorkerReply
  try {
    reply = { id, kind: 'done', outcome: runPrepareTask(task) }
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    reply = { id, kind: 'failed', message: failure.message, ...(failure.stack !== undefined ? { stack: failure.stack } : {}) }
  }
  port.postMessage(reply)
})
