// `npm run build`, and `prepare` on every `npm install` / `npm ci`: compiles src/ to dist/ (tsc with
// tsconfig.build.json), copies the files that are not TypeScript (the browser snippet) beside the
// compiled code, so dist/ mirrors src/, and builds the console (web/: typechecked with its own
// tsconfig, bundled by Vite) into dist/web, which the server serves at `/`. Plain JavaScript because it runs before anything could load TypeScript.
//   node scripts/build.mjs [outDir]     (default dist; the tests build into a throwaway folder)
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const src = path.join(root, 'src')
const out = path.resolve(root, process.argv[2] ?? 'dist')

// The code finds data/ and docs/ by URLs relative to its own file (new URL('../../data/…', import.meta.url)),
// which hold only when the build sits one level below the repository, as src/ does.
if (path.dirname(out) !== root || out === src) {
  process.stderr.write(`build: the output folder must be a new folder directly inside ${root}, not ${out}\n`)
  process.exit(2)
}

let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch (error) {
  // `npm ci --omit=dev` leaves TypeScript out: an install that already carries a build keeps it.
  if (fs.existsSync(path.join(out, 'main.js'))) {
    process.stderr.write(`build: TypeScript is not installed (${error.code}); keeping the existing ${path.relative(root, out)}/\n`)
    process.exit(0)
  }
  process.stderr.write(`build: TypeScript is not installed (${error.code}) and there is no ${path.relative(root, out)}/ yet: run \`npm install\` with dev dependencies\n`)
  process.exit(1)
}

// A file removed from src/ must not live on in the build.
fs.rmSync(out, { recursive: true, force: true })
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' })
if (compiled.status !== 0) process.exit(compiled.status ?? 1)

let copied = 0
for (const entry of fs.readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue
  // parentPath is Node 20.12+; path is its older name.
  const from = path.join(entry.parentPath ?? entry.path, entry.name)
  const to = path.join(out, path.relative(src, from))
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.copyFileSync(from, to)
  copied++
}
process.stdout.write(`build: src/ compiled to ${path.relative(root, out)}/ (${copied} other file${copied === 1 ? '' : 's'} copied)\n`)

// The console: its own tsconfig (DOM, JSX), so the root typecheck stays the server's.
const web = path.join(root, 'web')
const checked = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(web, 'tsconfig.json')], { cwd: root, stdio: 'inherit' })
if (checked.status !== 0) process.exit(checked.status ?? 1)
let vite
try {
  vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js')
} catch (error) {
  process.stderr.write(`build: Vite is not installed (${error.code}): run \`npm install\` with dev dependencies to build the console\n`)
  process.exit(1)
}
const webOut = path.join(out, 'web')
// Vite refuses a second build of the same project while one runs (a lock in the project), but each
// build here writes its own folder: the tests build into throwaway folders at the same time.
const bundled = spawnSync(process.execPath, [vite, 'build', web, '--outDir', webOut, '--emptyOutDir', '--bypass-lock', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
if (bundled.status !== 0) process.exit(bundled.status ?? 1)
process.stdout.write(`build: web/ (the console) built into ${path.relative(root, webOut)}/\n`)
