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
    if (roll < 0.05 * 0.3 && emails > 0) email = `user${Math.floor(next() * emails)}@example.com` // a known person, new device
    else if (roll < 0.3) email = `user${emails++}@example.com`
    const [city, state, country] = pick(CITIES)
    const interests = new Set<string>()
    const n = 1 + Math.floor(next() * 5)
    while (interests.size < n) interests.add(pick(INTERESTS))
    yield {
      cookie: `ck_${seed}_${i.toString(36)}`,
      ...(email ? { email } : {}),
      ...(next() < 0.5 ? { phone: `+1 (212) 555-${String(1000 + Math.floor(next() * 8999))}` } : {}),
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
