#!/usr/bin/env node
// `npx cdp …`: the built CLI (dist/, made by `npm install` or `npm run build`), imported into this
// process rather than spawned, so there is one process to signal and no TypeScript loader at run time.
import fs from 'node:fs'
const main = new URL('../dist/main.js', import.meta.url)
if (!fs.existsSync(main)) {
  process.stderr.write('cdp: dist/ is missing: run `npm install` (or `npm run build`) first\n')
  process.exit(1)
}
await import(main.href)
