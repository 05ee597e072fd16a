// A prepare worker (src/pipeline/prepare/worker.ts) that dies as a worker with a bug would: on a task
// whose text or first record mentions DIE it exits at once, without answering; other tasks it
// prepares as the real worker does. For the pool's crash tests.
import { parentPort, workerData } from 'node:worker_threads'
import { createPrepareTasks, type PrepareSettings, type PrepareTask, type WorkerReply } from '../../src/pipeline/prepare/tasks.ts'

const runPrepareTask = createPrepareTasks((workerData as { data: PrepareSettings }).data)
parentPort?.on('message', ({ id, task }: { id: number; task: PrepareTask }) => {
  if (JSON.stringify(task).includes('DIE')) process.exit(7)
  const reply: WorkerReply = { id, kind: 'done', outcome: runPrepareTask(task) }
  parentPort?.postMessage(reply)
})
