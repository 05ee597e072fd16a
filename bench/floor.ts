// The floor of issue #14: the bench's generated records written by the simplest direct SQLite writer,
// so each write figure can be given as a ratio of what the disk and SQLite allow on this machine now.
// Per record: JSON.parse of its NDJSON line, a sha256 content hash, a raw row (payload + hash, unique
// on the hash), a profile upsert (by id, fields as columns), its identities (cookie, email) and its
// interests; transactions of 1,000, statements prepared once. No validation, no identity resolution:
// the profile id is the cookie's. The file settings are the server's (src/storage/sql/open.ts: WAL,
// synchronous NORMAL, 32 MB page cache, temp_store MEMORY), so only the work differs.
//   npm run bench:floor -- --profiles 200000 [--file records.ndjson]
// bench/run.ts runs it first in each `npm run bench` (phase "floor") on the same records.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { pathToFileURL } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { type GeneratedRecord, writeNdjsonFile } from './generate.ts'

const TRANSACTION = 1000

export interface FloorFigures {
  records: number
  seconds: number
  records_per_s: number
}

/** The file's lines, read in 1 MB chunks (a decoder, since a chunk can end inside a UTF-8 character). */
function* lines(file: string): Generator<string> {
  const fd = fs.openSync(file, 'r')
  const buffer = Buffer.alloc(1 << 20)
  const decoder = new StringDecoder('utf8')
  let rest = ''
  try {
    for (let n = fs.readSync(fd, buffer); n > 0; n = fs.readSync(fd, buffer)) {
      const text = rest + decoder.write(buffer.subarray(0, n))
      const parts = text.split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) if (line.length > 0) yield line
    }
    rest += decoder.end()
    if (rest.length > 0) yield rest
  } finally {
    fs.closeSync(fd)
  }
}

/** Writes every record of `file` (NDJSON) into a new SQLite database at `databaseFile`; times the whole run. */
export function runFloor(file: string, databaseFile: string): FloorFigures {
  const db = new BetterSqlite3(databaseFile)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('cache_size = -32768')
  db.pragma('temp_store = MEMORY')
  db.exec(`
    create table raw_records (id integer primary key, payload text not null, content_hash text not null, received_at integer not null);
    create unique index raw_records_content_hash on raw_records (content_hash);
    create table profiles (
      id text primary key, cookie text, email text, phone text, city text, state text, country text,
      age integer, gender text, income text, education text, first_seen integer not null, last_seen integer not null
    );
    create table identities (kind text not null, value text not null, profile_id text not null, primary key (kind, value));
    create table interests (profile_id text not null, interest text not null, primary key (profile_id, interest));
  `)
  const insertRaw = db.prepare('insert into raw_records (payload, content_hash, received_at) values (?, ?, ?) on conflict (content_hash) do nothing')
  const upsertProfile = db.prepare(`
    insert into profiles (id, cookie, email, phone, city, state, country, age, gender, income, education, first_seen, last_seen)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    on conflict (id) do update set email = coalesce(excluded.email, email), phone = coalesce(excluded.phone, phone),
      city = excluded.city, state = excluded.state, country = excluded.country, age = excluded.age, gender = excluded.gender,
      income = excluded.income, education = excluded.education, last_seen = max(last_seen, excluded.last_seen)`)
  const insertIdentity = db.prepare('insert into identities (kind, value, profile_id) values (?, ?, ?) on conflict (kind, value) do nothing')
  const insertInterest = db.prepare('insert into interests (profile_id, interest) values (?, ?) on conflict (profile_id, interest) do nothing')

  const writeBatch = db.transaction((batch: string[]) => {
    const now = Date.now()
    for (const line of batch) {
      const record = JSON.parse(line) as GeneratedRecord
      const hash = createHash('sha256').update(line).digest('hex')
      // A record stored before (same content) is a duplicate: nothing else to write.
      if (insertRaw.run(line, hash, now).changes === 0) continue
      const id = `prof_${record.cookie}`
      const seen = Date.parse(record.timestamp)
      const l = record.location
      const d = record.demographics
      upsertProfile.run(id, record.cookie, record.email ?? null, record.phone ?? null, l?.city ?? null, l?.state ?? null, l?.country ?? null,
        d?.age ?? null, d?.gender ?? null, d?.income ?? null, d?.education ?? null, seen, seen)
      insertIdentity.run('cookie', record.cookie, id)
      if (record.email) insertIdentity.run('email', record.email, id)
      for (const interest of record.interests) insertInterest.run(id, interest)
    }
  })

  const started = performance.now()
  let records = 0
  let batch: string[] = []
  for (const line of lines(file)) {
    batch.push(line)
    if (batch.length === TRANSACTION) {
      writeBatch(batch)
      records += batch.length
      batch = []
    }
  }
  if (batch.length > 0) {
    writeBatch(batch)
    records += batch.length
  }
  const seconds = (performance.now() - started) / 1000
  db.close()
  return { records, seconds: Math.round(seconds * 10) / 10, records_per_s: Math.round(records / seconds) }
}

/** Runs the floor on a fresh database in a temporary folder, removed afterwards. */
export function runFloorOnFreshFile(file: string): FloorFigures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-floor-'))
  try {
    return runFloor(file, path.join(dir, 'floor.db'))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = new Map<string, string>()
  for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]))
  const profiles = Number(args.get('profiles') ?? 1_000_000)
  const given = args.get('file')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-floor-input-'))
  try {
    const file = given ?? path.join(dir, 'records.ndjson')
    if (!given) writeNdjsonFile(file, profiles, 1)
    process.stdout.write(`${JSON.stringify(runFloorOnFreshFile(file))}\n`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
