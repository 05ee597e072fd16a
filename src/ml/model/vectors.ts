// Word vectors: GloVe vectors pruned to the most frequent words and quantized to int8 with one scale
// per word (see scripts/model/build-vectors.ts). File layout, little-endian:
//   "CDPVEC01" | u32 count | u32 dims | u32 vocabBytes | vocab (UTF-8, '\n'-joined, padded to 4) |
//   f32 scale[count] | i8 values[count * dims]
// Vectors were unit-length before quantization, so a word's vector is values * scale.
import fs from 'node:fs'

export const VECTOR_MAGIC = 'CDPVEC01'

export interface WordVectors {
  dims: number
  /** Word → row; rows are in corpus-frequency order, so a lower row is a more common word. */
  index: Map<string, number>
  words: readonly string[]
  scales: Float32Array
  values: Int8Array
}

export function readVectors(path: string | URL): WordVectors {
  const buffer = fs.readFileSync(path)
  const magic = buffer.toString('latin1', 0, 8)
  if (magic !== VECTOR_MAGIC) throw new Error(`${String(path)} is not a vectors file (magic ${JSON.stringify(magic)})`)
  const count = buffer.readUInt32LE(8)
  const dims = buffer.readUInt32LE(12)
  const vocabBytes = buffer.readUInt32LE(16)
  let offset = 20
  const words = buffer.toString('utf8', offset, offset + vocabBytes).split('\n')
  if (words.length !== count) throw new Error(`${String(path)}: vocabulary has ${words.length} words, header says ${count}`)
  offset += vocabBytes
  offset += (4 - (offset % 4)) % 4
  // Copy into aligned typed arrays: the Buffer's own offset need not be 4-byte aligned.
  const scales = new Float32Array(count)
  for (let i = 0; i < count; i++) scales[i] = buffer.readFloatLE(offset + i * 4)
  offset += count * 4
  const values = new Int8Array(buffer.buffer.slice(buffer.byteOffset + offset, buffer.byteOffset + offset + count * dims))
  const index = new Map<string, number>()
  for (let i = 0; i < count; i++) index.set(words[i] as string, i)
  return { dims, index, words, scales, values }
}

export function encodeVectors(input: { words: readonly string[]; vectors: readonly ArrayLike<number>[]; dims: number }): Buffer {
  const { words, vectors, dims } = input
  const vocab = Buffer.from(words.join('\n'), 'utf8')
  const header = Buffer.alloc(20)
  header.write(VECTOR_MAGIC, 0, 'latin1')
  header.writeUInt32LE(words.length, 8)
  header.writeUInt32LE(dims, 12)
  header.writeUInt32LE(vocab.length, 16)
  const padding = Buffer.alloc((4 - ((20 + vocab.length) % 4)) % 4)
  const scales = Buffer.alloc(words.length * 4)
  const values = Buffer.alloc(words.length * dims)
  vectors.forEach((vector, row) => {
    let norm = 0
    for (let d = 0; d < dims; d++) norm += (vector[d] as number) ** 2
    norm = Math.sqrt(norm) || 1
    let maxAbs = 0
    for (let d = 0; d < dims; d++) maxAbs = Math.max(maxAbs, Math.abs((vector[d] as number) / norm))
    const scale = maxAbs / 127 || 1
    scales.writeFloatLE(scale, row * 4)
    for (let d = 0; d < dims; d++) values.writeInt8(Math.round((vector[d] as number) / norm / scale), row * dims + d)
  })
  return Buffer.concat([header, vocab, padding, scales, values])
}

/** Adds word `row`'s vector times `weight` into `target`. */
export function addVector(vectors: WordVectors, row: number, weight: number, target: Float32Array): void {
  const scale = (vectors.scales[row] as number) * weight
  const base = row * vectors.dims
  for (let d = 0; d < vectors.dims; d++) target[d] = (target[d] as number) + (vectors.values[base + d] as number) * scale
}

/** Scales `vector` in place to unit length (left as is when it is all zeros); returns the old length. */
export function normalizeInPlace(vector: Float32Array): number {
  let norm = 0
  for (let d = 0; d < vector.length; d++) norm += (vector[d] as number) ** 2
  norm = Math.sqrt(norm)
  if (norm > 0) for (let d = 0; d < vector.length; d++) vector[d] = (vector[d] as number) / norm
  return norm
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let d = 0; d < a.length; d++) {
    dot += (a[d] as number) * (b[d] as number)
    na += (a[d] as number) ** 2
    nb += (b[d] as number) ** 2
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}
