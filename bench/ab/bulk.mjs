// node bench/ab/bulk.mjs URL FILE.ndjson: HTTP bulk ingest, batches of 1,000, two in flight (bench/ab/bulk.sh)
/* global fetch, performance */
import fs from 'node:fs'
const [url, file] = process.argv.slice(2)
const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)
const bodies = []; for (let i = 0; i < lines.length; i += 1000) bodies.push(lines.slice(i, i + 1000).join('\n'))
let k = 0; const t = performance.now(); let sent = 0
const w = async () => { while (k < bodies.length) { const b = bodies[k++]; const r = await fetch(`${url}/api/ingest?source=bench`, { method: 'POST', headers: { authorization: 'Bearer bench-admin-key-0123456789abcdef', 'content-type': 'application/x-ndjson' }, body: b }); const j = await r.json(); if (r.status !== 200 || j.records_failed) throw new Error(JSON.stringify(j).slice(0, 200)); sent += j.records_processed } }
await Promise.all([w(), w()])
const s = (performance.now() - t) / 1000
console.log(JSON.stringify({ records: sent, seconds: +s.toFixed(1), rate: Math.round(sent / s) }))
