// Trains the interest model on data/model/train.tsv and writes data/model/model.bin + model.json.
//   npx tsx scripts/model/train.ts [--epochs 10] [--seed 20261122]
import { trainModel } from '../../src/ml/model/index.ts'

const argument = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? Number(process.argv[at + 1]) : undefined
}
const report = await trainModel({ epochs: argument('epochs'), seed: argument('seed'), log: (line) => console.log(line) })
console.log(JSON.stringify(report))
