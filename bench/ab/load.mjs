// node bench/ab/load.mjs URL user|cohort PROFILES SECONDS: autocannon, 50 connections (bench/ab/reads.sh)
/* global fetch */
import autocannon from 'autocannon'
const [url, kind, n, dur] = process.argv.slice(2)
const KEY = 'bench-admin-key-0123456789abcdef'
let seed = 7; const next = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
const cursors = []
if (kind === 'cohort') { let c = null; do { const r = await (await fetch(`${url}/api/cohort/users?cohort=sports&limit=1000${c ? `&cursor=${c}` : ''}`, { headers: { authorization: `Bearer ${KEY}` } })).json(); c = r.next_cursor; if (c) cursors.push(c) } while (c) }
const paths = { user: () => `/api/user?cookie=ck_1_${Math.floor(next() * Number(n)).toString(36)}`, cohort: () => `/api/cohort/users?cohort=sports&limit=50&cursor=${cursors[Math.floor(next() * cursors.length)]}` }
const r = await autocannon({ url, duration: Number(dur ?? 10), connections: 50, headers: { authorization: `Bearer ${KEY}` }, requests: [{ method: 'GET', setupRequest: (q) => ({ ...q, path: paths[kind]() }) }] })
console.log(JSON.stringify({ kind, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx }))
