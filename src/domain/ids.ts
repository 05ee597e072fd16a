// Id minting for batches and profiles.
import { randomBytes, randomUUID } from 'node:crypto'

export function newBatchId(): string {
  return `bat_${randomUUID().replaceAll('-', '')}`
}

// Per process: a random prefix keeps ids from concurrent processes apart, a counter keeps them unique.
const ID_PROCESS = randomBytes(5).toString('hex')
let idCounter = 0

/**
 * Time-ordered ids (milliseconds, process, counter): new rows land at the end of every index keyed
 * by profile id instead of on random pages, which keeps bulk ingest's write volume down.
 */
export function newProfileId(): string {
  idCounter = (idCounter + 1) % 36 ** 4
  return `prof_${Date.now().toString(36).padStart(9, '0')}${ID_PROCESS}${idCounter.toString(36).padStart(4, '0')}`
}
