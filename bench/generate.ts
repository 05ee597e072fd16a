// Synthetic profile records for benchmarks: deterministic for a seed.
// ~30% carry an email; ~5% of emails reappear later with a new cookie (a second device); 1–5 interests.
// The seeded PRNG (mulberry32) is the demo shop's: one implementation for both.
import fs from 'node:fs'
import { seededRandom as random } from '../src/cli/demo/shop.ts'

export { random }

const INTERESTS = [
  'tom brady', 'lionel messi', 'nba', 'football', 'yoga', 'running shoes', 'nike shoes', 'gucci', 'zara', 'sneakers',
  'iphone', 'machine learning', 'nvidia', 'python programming', 'ethereum', 'index funds', 'stock market', 'bitcoin',
  'taylor swift', 'stranger things', 'netflix', 'movies', 'paris', 'bali', 'hiking trips', 'sushi', 'pizza', 'wine tasting',
  'vegan recipes', 'marathon training', 'crossfit', 'tesla model 3', 'ford mustang', 'car detailing', 'gardening',
  'interior design', 'online courses', 'mba programs', 'fortnite', 'minecraft', 'playstation', 'chess', 'golf', 'tennis',
]
const CITIES: Array<[string, string, string]> = [
  ['Brooklyn', 'New York', 'USA'], ['Austin', 'TX', 'United States'], ['London', 'England', 'UK'], ['Berlin', 'Berlin', 'Germany'],
  ['Paris', 'Île-de-France', 'France'], ['Toronto', 'Ontario', 'Canada'], ['São Paulo', 'SP', 'Brazil'], ['Tokyo', 'Tokyo', 'Japan'],
]
const GENDERS = ['male', 'female', 'f', 'M', 'non-binary']
const INCOMES = ['$25,000-$50,000', '$50,000-$75,000', '$75,000-$100,000', '$100,000+']
const EDUCATION = ['High School', "Bachelor's Degree", "Master's Degree", 'PhD']


export interface GeneratedRecord {
  cookie: string
  email?: string
  phone?: string
  location?: { city: string; state: string; country: string }
  demographics?: { age: number; gender: string; income: string; education: string }
  interests: string[]
  timestamp: string
}

export function* generateRecords(count: number, seed = 1): Generator<GeneratedRecord> {
  const next = random(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T
  const start = Date.UTC(2024, 0, 1)
  let emails = 0
  for (let i = 0; i < count; i++) {
    const roll = next()
    let email: string | undefined
    let person: number | undefined
    if (roll < 0.05 * 0.3 && emails > 0) person = Math.floor(next() * emails) // a known person, new device
    else if (roll < 0.3) person = emails++
    if (person !== undefined) email = `user${person}@example.com`
    const [city, state, country] = pick(CITIES)
    const interests = new Set<string>()
    const n = 1 + Math.floor(next() * 5)
    while (interests.size < n) interests.add(pick(INTERESTS))
    yield {
      cookie: `ck_${seed}_${i.toString(36)}`,
      ...(email ? { email } : {}),
      // A phone is a person's (the same for every device of a known person), from 80 million
      // numbers: about as rare to share as real ones (issue #20 links phones as identifiers; the
      // earlier 9,000 numbers made every 111th profile share one at 1M).
      ...(next() < 0.5 ? { phone: phoneNumber(person === undefined ? Math.floor(next() * 2 ** 31) : hashPerson(seed, person)) } : {}),
      location: { city, state, country },
      demographics: { age: 18 + Math.floor(next() * 60), gender: pick(GENDERS), income: pick(INCOMES), education: pick(EDUCATION) },
      interests: [...interests],
      timestamp: new Date(start + i * 1000).toISOString(),
    }
  }
}

/** Writes `count` generated records as NDJSON, one per line: the file `cdp import` and the floor read. */
export function writeNdjsonFile(file: string, count: number, seed = 1): number {
  const fd = fs.openSync(file, 'w')
  let bytes = 0
  try {
    let lines: string[] = []
    const flush = () => {
      const chunk = `${lines.join('\n')}\n`
      bytes += fs.writeSync(fd, chunk)
      lines = []
    }
    for (const record of generateRecords(count, seed)) {
      lines.push(JSON.stringify(record))
      if (lines.length === 10_000) flush()
    }
    if (lines.length > 0) flush()
  } finally {
    fs.closeSync(fd)
  }
  return bytes
}

const AREA_CODES = ['212', '646', '718', '917', '312', '415', '617', '202', '305', '512']

function phoneNumber(n: number): string {
  const area = AREA_CODES[n % AREA_CODES.length] as string
  const exchange = 200 + (Math.floor(n / AREA_CODES.length) % 800)
  const line = Math.floor(n / (AREA_CODES.length * 800)) % 10_000
  return `+1 (${area}) ${exchange}-${String(line).padStart(4, '0')}`
}

function hashPerson(seed: number, person: number): number {
  let h = (seed * 0x9e3779b1) ^ person
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
