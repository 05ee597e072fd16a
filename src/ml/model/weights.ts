// The trained weights: data/model/model.bin (int8 rows with a float scale each, little-endian:
// "CDPMOD01" | u32 rows | u32 classes | f32 scale[rows] | i8 weights[rows * classes]) and
// data/model/model.json (everything else the classifier needs: layout, classes, threshold).
import fs from 'node:fs'
import type { RecordedExtras } from './extras.ts'

export const WEIGHTS_MAGIC = 'CDPMOD01'

export interface ModelMeta {
  version: string
  seed: number
  hashBits: number
  dims: number
  /** "none" first, then cohort ids in row order of the gazetteer features. */
  classes: string[]
  /** Reject when the best cohort's probability is below this (chosen on the validation split). */
  threshold: number
  /** A further cohort is reported when its score is at least this. */
  secondMin: number
  /** Words of the clean training sources: known for "no known token" and spell correction. */
  domainWords: string[]
  training: Record<string, unknown>
  /** Custom cohorts and examples the model was trained with (canonical form); absent for the committed model. */
  extras?: RecordedExtras
}

export function encodeWeights(weights: Float32Array, rows: number, classes: number): Buffer {
  const header = Buffer.alloc(16)
  header.write(WEIGHTS_MAGIC, 0, 'latin1')
  header.writeUInt32LE(rows, 8)
  header.writeUInt32LE(classes, 12)
  const scales = Buffer.alloc(rows * 4)
  const values = Buffer.alloc(rows * classes)
  for (let r = 0; r < rows; r++) {
    let maxAbs = 0
    for (let k = 0; k < classes; k++) maxAbs = Math.max(maxAbs, Math.abs(weights[r * classes + k] as number))
    const scale = maxAbs / 127
    scales.writeFloatLE(scale, r * 4)
    for (let k = 0; k < classes; k++) values.writeInt8(scale === 0 ? 0 : Math.round((weights[r * classes + k] as number) / scale), r * classes + k)
  }
  return Buffer.concat([header, scales, values])
}

export function decodeWeights(buffer: Buffer, origin: string): { weights: Float32Array; rows: number; classes: number } {
  if (buffer.toString('latin1', 0, 8) !== WEIGHTS_MAGIC) throw new Error(`${origin} is not a model weights file`)
  const rows = buffer.readUInt32LE(8)
  const classes = buffer.readUInt32LE(12)
  const weights = new Float32Array(rows * classes)
  const valuesAt = 16 + rows * 4
  for (let r = 0; r < rows; r++) {
    const scale = buffer.readFloatLE(16 + r * 4)
    if (scale === 0) continue
    for (let k = 0; k < classes; k++) weights[r * classes + k] = buffer.readInt8(valuesAt + r * classes + k) * scale
  }
  return { weights, rows, classes }
}

export function readMeta(path: URL): ModelMeta {
  return JSON.parse(fs.readFileSync(path, 'utf8')) as ModelMeta
}
