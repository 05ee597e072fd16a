// The layering of ARCHITECTURE.md ("Layout"), checked on every import in src/: api and cli on top,
// then the capabilities (cohorts, pipeline, segments, activation, privacy), then ml, collect and the
// storage ports, with domain at the bottom. A failure names the import that goes the wrong way.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../src')

/**
 * What each area may import besides itself. An area is a top-level folder of src/ (storage splits
 * into its ports and its SQL implementation) or a file at the top. Only compose.ts (the wiring) and
 * main.ts see storage/sql: everything else receives ports.
 */
const ALLOWED: Record<string, readonly string[]> = {
  domain: [],
  'errors.ts': [],
  collect: ['domain', 'errors.ts'],
  ml: ['domain', 'errors.ts'],
  'storage/ports': ['domain', 'errors.ts'],
  'storage/sql': ['storage/ports', 'domain', 'errors.ts'],
  activation: ['storage/ports', 'domain', 'errors.ts'],
  segments: ['activation', 'storage/ports', 'domain', 'errors.ts'],
  pipeline: ['segments', 'collect', 'ml', 'storage/ports', 'domain', 'errors.ts'],
  cohorts: ['pipeline', 'ml', 'storage/ports', 'domain', 'errors.ts'],
  privacy: ['pipeline', 'segments', 'activation', 'storage/ports', 'domain', 'errors.ts'],
  // Settings are parsed with the helpers of the modules they configure.
  'config.ts': ['pipeline', 'activation', 'collect', 'domain', 'errors.ts'],
  'compose.ts': ['config.ts', 'privacy', 'cohorts', 'pipeline', 'segments', 'activation', 'ml', 'collect', 'storage/sql', 'storage/ports', 'domain', 'errors.ts'],
  api: ['compose.ts', 'config.ts', 'privacy', 'cohorts', 'pipeline', 'segments', 'activation', 'ml', 'collect', 'storage/ports', 'domain', 'errors.ts'],
  cli: ['api', 'compose.ts', 'config.ts', 'privacy', 'cohorts', 'pipeline', 'segments', 'activation', 'ml', 'collect', 'storage/ports', 'domain', 'errors.ts'],
  'main.ts': ['cli', 'api', 'compose.ts', 'config.ts', 'privacy', 'cohorts', 'pipeline', 'segments', 'activation', 'ml', 'collect', 'storage/sql', 'storage/ports', 'domain', 'errors.ts'],
}

interface Import {
  from: string
  to: string
  line: number
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : []
  })
}

// Static imports and re-exports (`… from './x.ts'`), bare imports, and dynamic import('./x.ts').
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8')
  const found: Import[] = []
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]
    if (spec === undefined) continue
    const line = text.slice(0, match.index + match[0].length).split('\n').length
    const to = path.resolve(path.dirname(file), spec)
    // Data files outside src/ (the model, the taxonomy) are not code layers.
    if (to.startsWith(SRC + path.sep)) found.push({ from: file, to, line })
  }
  return found
}

function areaOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep)
  if (parts.length === 1) return parts[0] as string
  if (parts[0] === 'storage') return `storage/${parts[1] === 'ports' ? 'ports' : 'sql'}`
  return parts[0] as string
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/')
const all = sourceFiles(SRC).flatMap(importsOf)

describe('import direction', () => {
  it('every area of src/ is known to the layering', () => {
    const unknown = [...new Set(sourceFiles(SRC).map(areaOf))].filter((area) => !(area in ALLOWED))
    expect(unknown, 'add the new folder to ALLOWED in test/architecture.test.ts (and to ARCHITECTURE.md)').toEqual([])
  })

  it('imports flow one way: api, cli → capabilities → ml, collect, storage ports → domain', () => {
    const wrong = all
      .filter((i) => areaOf(i.from) !== areaOf(i.to) && !(ALLOWED[areaOf(i.from)] ?? []).includes(areaOf(i.to)))
      .map((i) => `${rel(i.from)}:${i.line} imports ${rel(i.to)} (${areaOf(i.from)} may not import ${areaOf(i.to)})`)
    expect(wrong).toEqual([])
  })

  it('no route imports another route: shared request pieces live in api/http/', () => {
    const wrong = all
      .filter((i) => rel(i.from).startsWith('api/routes/') && rel(i.to).startsWith('api/routes/'))
      .map((i) => `${rel(i.from)}:${i.line} imports ${rel(i.to)}`)
    expect(wrong).toEqual([])
  })

  it('a pipeline stage never imports another stage: only pipeline/run.ts knows their order', () => {
    const stageFolder = (file: string) => {
      const parts = rel(file).split('/')
      return parts[0] === 'pipeline' && parts.length > 2 ? parts[1] : null
    }
    const wrong = all
      .filter((i) => {
        const from = stageFolder(i.from)
        return from !== null && rel(i.to).endsWith('/stage.ts') && stageFolder(i.to) !== from
      })
      .map((i) => `${rel(i.from)}:${i.line} imports ${rel(i.to)}`)
    expect(wrong).toEqual([])
  })

  it('the folders form no cycle', () => {
    const edges = new Map<string, Set<string>>()
    for (const i of all) {
      const [a, b] = [areaOf(i.from).split('/')[0] as string, areaOf(i.to).split('/')[0] as string]
      if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b))
    }
    // A cycle exists when some folder reaches itself.
    const reaches = (start: string): boolean => {
      const seen = new Set<string>()
      const stack = [...(edges.get(start) ?? [])]
      while (stack.length > 0) {
        const next = stack.pop() as string
        if (next === start) return true
        if (seen.has(next)) continue
        seen.add(next)
        stack.push(...(edges.get(next) ?? []))
      }
      return false
    }
    expect([...edges.keys()].filter(reaches)).toEqual([])
  })
})
