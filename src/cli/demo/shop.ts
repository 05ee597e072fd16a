// The demo's shop, generated: visitors, their sessions on a storefront, the ones who sign in (some on
// two devices) and their CRM records. Pure and deterministic: the same options give the same data.
// The interest texts come from bench/generate.ts (copied: src/ never imports bench/); the benches
// use this PRNG.

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Interests people state in a CRM form: texts the model knows (bench/generate.ts).
const STATED_INTERESTS = [
  'tom brady', 'lionel messi', 'nba', 'football', 'yoga', 'running shoes', 'nike shoes', 'gucci', 'zara', 'sneakers',
  'iphone', 'machine learning', 'nvidia', 'python programming', 'ethereum', 'index funds', 'stock market', 'bitcoin',
  'taylor swift', 'stranger things', 'netflix', 'movies', 'paris', 'bali', 'hiking trips', 'sushi', 'pizza', 'wine tasting',
  'vegan recipes', 'marathon training', 'crossfit', 'tesla model 3', 'ford mustang', 'car detailing', 'gardening',
  'interior design', 'online courses', 'mba programs', 'fortnite', 'minecraft', 'playstation', 'chess', 'golf', 'tennis',
]

// The catalog: each category is an interest text the model knows (a viewed product's category becomes
// an interest, CDP_EVENT_INTERESTS' default `*:category`), except "camping gear", which the demo's
// custom cohort "Outdoor" teaches it.
const CATALOG: ReadonlyArray<{ category: string; products: readonly string[]; price: readonly [number, number] }> = [
  { category: 'running shoes', products: ['Trail Runner 4', 'Road Racer Pro', 'Cushion Max'], price: [80, 180] },
  { category: 'tennis', products: ['Pro Staff Racket', 'Tournament Balls (4)', 'Court Bag'], price: [12, 240] },
  { category: 'golf', products: ['Driver 460cc', 'Tour Balls (12)', 'Golf Glove'], price: [15, 420] },
  { category: 'yoga', products: ['Cork Yoga Mat', 'Yoga Blocks', 'Studio Leggings'], price: [18, 95] },
  { category: 'sneakers', products: ['Court Classic', 'Retro High', 'Canvas Low'], price: [60, 160] },
  { category: 'headphones', products: ['Noise-Cancelling Headphones', 'Wireless Earbuds', 'Studio Monitors'], price: [49, 349] },
  { category: 'laptops', products: ['Ultrabook 14', 'Pro 16', 'Chromebook 11'], price: [299, 2199] },
  { category: 'playstation', products: ['Console Bundle', 'Wireless Controller', 'Racing Game'], price: [39, 549] },
  { category: 'board games', products: ['Strategy Classic', 'Party Quiz', 'Co-op Adventure'], price: [19, 79] },
  { category: 'wine tasting', products: ['Tasting Set (6)', 'Decanter', 'Sommelier Course'], price: [29, 199] },
  { category: 'gardening', products: ['Pruning Shears', 'Raised Bed Kit', 'Seed Collection'], price: [9, 149] },
  { category: 'interior design', products: ['Linen Cushion', 'Floor Lamp', 'Wall Art Print'], price: [25, 260] },
  { category: 'skin care', products: ['Daily Moisturizer', 'Vitamin C Serum', 'Sunscreen SPF 50'], price: [12, 68] },
  { category: 'camping gear', products: ['2-Person Tent', 'Sleeping Bag', 'Camp Stove'], price: [35, 320] },
]

const FIRST_NAMES = [
  'emma', 'liam', 'olivia', 'noah', 'ava', 'lucas', 'mia', 'leo', 'sofia', 'mateo', 'isla', 'hugo', 'chloe', 'arjun', 'zoe',
  'yuki', 'amara', 'jonas', 'lea', 'diego', 'nora', 'omar', 'freya', 'kenji', 'maya', 'felix', 'ines', 'tariq', 'clara', 'ravi',
]
const LAST_NAMES = [
  'smith', 'garcia', 'muller', 'dubois', 'rossi', 'silva', 'tanaka', 'kim', 'nguyen', 'patel', 'johnson', 'brown', 'martin',
  'lopez', 'schmidt', 'moreau', 'costa', 'sato', 'cohen', 'novak', 'jensen', 'walker', 'khan', 'fischer', 'bianchi',
]
const CITIES: ReadonlyArray<readonly [string, string, string]> = [
  ['Brooklyn', 'New York', 'USA'], ['Austin', 'TX', 'United States'], ['San Diego', 'California', 'US'], ['Chicago', 'Illinois', 'USA'],
  ['London', 'England', 'UK'], ['Manchester', 'England', 'United Kingdom'], ['Berlin', 'Berlin', 'Germany'], ['Paris', 'Île-de-France', 'France'],
  ['Toronto', 'Ontario', 'Canada'], ['São Paulo', 'SP', 'Brazil'], ['Tokyo', 'Tokyo', 'Japan'], ['Sydney', 'NSW', 'Australia'],
]
const GENDERS = ['female', 'male', 'F', 'M', 'non-binary']
const INCOMES = ['$25,000-$50,000', '$50,000-$75,000', '$75,000-$100,000', '$100,000+']
const EDUCATION = ['High School', "Bachelor's Degree", "Master's Degree", 'PhD']
const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
]

const DAY_MS = 86_400_000
/** The data covers the 30 days before `now`. */
export const DEMO_DAYS = 30

export interface ShopOptions {
  seed: number
  visitors: number
  /** The end of the 30 days (epoch ms): every event happens before it. */
  now: number
}

/** A CRM record for /api/ingest. */
export interface ProfileRecord {
  cookie: string
  email: string
  phone?: string
  location: { city: string; state: string; country: string }
  demographics: { age: number; gender: string; income: string; education: string }
  interests: string[]
  consent: { marketing_email: boolean; analytics: boolean }
  timestamp: string
}

/** A Segment-spec message for /v1/batch. */
export type SpecMessage = Record<string, unknown> & { timestamp: string }

export interface ShopPerson {
  email: string
  /** The devices' cookies, first device first. */
  cookies: string[]
}

export interface Shop {
  profiles: ProfileRecord[]
  /** Every visitor's messages, oldest first. */
  messages: SpecMessage[]
  /** The visitors who sign in. */
  people: ShopPerson[]
  /** Visitors who never sign in (their cookies). */
  anonymous: string[]
}

export function generateShop(options: ShopOptions): Shop {
  const next = seededRandom(options.seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('')
  // Cookies look like the snippet's: random UUIDs (version 4, RFC 4122 variant).
  const newCookie = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(next() * 4)]}${hex(3)}-${hex(12)}`
  const start = options.now - DEMO_DAYS * DAY_MS
  const emails = new Set<string>()
  const profiles: ProfileRecord[] = []
  const messages: SpecMessage[] = []
  const people: ShopPerson[] = []
  const anonymous: string[] = []
  let messageCount = 0
  let orderCount = 0

  const newEmail = () => {
    const name = `${pick(FIRST_NAMES)}.${pick(LAST_NAMES)}`
    const domain = pick(['example.com', 'example.org', 'example.net'])
    let email = `${name}@${domain}`
    for (let n = 2; emails.has(email); n++) email = `${name}${n}@${domain}`
    emails.add(email)
    return email
  }

  /** One visit: a landing page, product views in the visitor's favourite categories, maybe a cart, maybe an order. */
  const session = (cookie: string, favourites: readonly number[], at: number, identify?: string) => {
    const userAgent = pick(USER_AGENTS)
    let time = at
    const emit = (message: Record<string, unknown>) => {
      messages.push({
        ...message,
        anonymousId: cookie,
        messageId: `demo-${options.seed}-${(messageCount++).toString(36)}`,
        timestamp: new Date(time).toISOString(),
        context: { library: { name: 'analytics.js', version: '2.11.1' }, userAgent },
      })
      time += 15_000 + Math.floor(next() * 75_000)
    }
    const favourite = CATALOG[pick(favourites)] as (typeof CATALOG)[number]
    if (next() < 0.5) emit({ type: 'page', name: 'Home', properties: { path: '/', title: 'Home' } })
    else emit({ type: 'page', name: 'Category', properties: { path: `/c/${favourite.category.replaceAll(' ', '-')}`, title: favourite.category, category: favourite.category } })
    if (identify) emit({ type: 'identify', userId: identify, traits: { email: identify } })
    const views = 1 + Math.floor(next() * 3)
    const viewed: Array<{ sku: string; name: string; category: string; price: number }> = []
    for (let v = 0; v < views; v++) {
      const entry = (next() < 0.8 ? CATALOG[pick(favourites)] : pick(CATALOG)) as (typeof CATALOG)[number]
      const index = Math.floor(next() * entry.products.length)
      const [low, high] = entry.price
      const product = {
        sku: `${entry.category.slice(0, 3).toUpperCase()}-${100 + index}`,
        name: entry.products[index] as string,
        category: entry.category,
        // Prices are fixed per product (derived from its place in the catalog), like a real shop's.
        price: Math.round(low + ((high - low) * (index + 1)) / (entry.products.length + 1)) - 0.01,
      }
      viewed.push(product)
      emit({ type: 'track', event: 'Product Viewed', properties: { product_id: product.sku, ...product, currency: 'USD' } })
    }
    if (next() >= 0.3) return
    const cart = viewed.slice(0, 1 + Math.floor(next() * viewed.length))
    for (const product of cart) emit({ type: 'track', event: 'Product Added', properties: { product_id: product.sku, ...product, quantity: 1, currency: 'USD' } })
    if (next() >= 0.45) return
    const total = Math.round(cart.reduce((sum, p) => sum + p.price, 0) * 100) / 100
    emit({
      type: 'track',
      event: 'Order Completed',
      properties: { order_id: `ORD-${options.seed}-${10000 + orderCount++}`, total, revenue: total, currency: 'USD', category: cart[0]?.category, products: cart.map((p) => ({ product_id: p.sku, name: p.name, price: p.price, quantity: 1 })) },
    })
  }

  // Sessions start between 30 days and 10 minutes before `now`, on whole seconds, but never near the
  // edge of a segment's time window (3 and 30 days before `now`): the server judges windows by its own
  // clock, which runs up to an hour or two past `now` (rounded to the hour), and no event may cross an
  // edge between two seedings of the same shop.
  const edges = [3 * DAY_MS, DEMO_DAYS * DAY_MS].map((w) => options.now - w)
  const clear = (at: number) => {
    for (const edge of edges) if (at >= edge - 3_600_000 && at < edge + 3 * 3_600_000) return edge + 3 * 3_600_000
    return at
  }
  const sessionTime = () => clear(start + Math.floor((next() * (DEMO_DAYS * DAY_MS - 600_000)) / 1000) * 1000)

  for (let i = 0; i < options.visitors; i++) {
    const cookie = newCookie()
    const favourites = [Math.floor(next() * next() * CATALOG.length)]
    if (next() < 0.5) favourites.push(Math.floor(next() * CATALOG.length))
    const signsIn = next() < 0.3
    if (!signsIn) {
      anonymous.push(cookie)
      const visits = 1 + (next() < 0.3 ? 1 : 0) + (next() < 0.08 ? 1 : 0)
      for (let s = 0; s < visits; s++) session(cookie, favourites, sessionTime())
      continue
    }
    const email = newEmail()
    const times = Array.from({ length: 2 + Math.floor(next() * 2) }, sessionTime).sort((a, b) => a - b)
    const first = times[0] as number
    times.forEach((at, s) => session(cookie, favourites, at, s === 0 ? email : undefined))
    const person: ShopPerson = { email, cookies: [cookie] }
    // About one in eight signs in on a second device too: anonymous browsing there, then a login,
    // which merges the second device's profile into the person's.
    if (next() < 0.12) {
      const second = newCookie()
      const later = [sessionTime(), sessionTime()].sort((a, b) => a - b)
      session(second, favourites, later[0] as number)
      session(second, favourites, later[1] as number, email)
      person.cookies.push(second)
    }
    people.push(person)
    const [city, state, country] = pick(CITIES)
    const interests = new Set<string>([(CATALOG[favourites[0] as number] as (typeof CATALOG)[number]).category])
    const stated = Math.floor(next() * 3)
    while (interests.size < 1 + stated) interests.add(pick(STATED_INTERESTS))
    profiles.push({
      cookie,
      email,
      ...(next() < 0.5 ? { phone: `+1 (212) 555-${String(1000 + Math.floor(next() * 8999))}` } : {}),
      location: { city, state, country },
      demographics: { age: 18 + Math.floor(next() * 55), gender: pick(GENDERS), income: pick(INCOMES), education: pick(EDUCATION) },
      interests: [...interests],
      consent: { marketing_email: next() < 0.55, analytics: next() < 0.85 },
      // The CRM learns of the person when they first sign in.
      timestamp: new Date(first + 30_000).toISOString(),
    })
  }
  messages.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
  return { profiles, messages, people, anonymous }
}

/** Custom cohorts the demo creates (POST /api/cohorts). */
// Seed terms are specific on purpose: a custom cohort also takes texts whose vectors are near its seeds'
// centroid, and generic seeds ("trail running") would pull that centroid towards every runner.
export const DEMO_COHORTS = [
  {
    name: 'Outdoor',
    description: 'Camping and the outdoors (a custom cohort of the demo: the model alone puts "camping gear" in Automotive; a correction keeps it out)',
    terms: ['camping', 'camping gear', 'tent', 'sleeping bag', 'backpacking', 'campfire', 'kayaking', 'canoeing', 'mountaineering', 'rock climbing', 'camp stove', 'bushcraft'],
    examples: ['patagonia', 'the north face', 'rei'],
  },
  {
    name: 'Pets',
    description: 'Dogs, cats and their owners (a custom cohort of the demo)',
    terms: ['dog food', 'cat food', 'dog toys', 'cat litter', 'puppy training', 'kitten', 'dog leash', 'aquarium fish', 'pet insurance', 'veterinarian'],
    examples: ['golden retriever', 'labrador', 'maine coon'],
  },
]

/**
 * Corrections the demo makes (POST /api/cohorts/corrections): a shop knows better than the model that
 * its running shoes are sports gear, and where its own categories belong.
 */
export const DEMO_CORRECTIONS = [
  { interest: 'running shoes', cohorts: ['Sports', 'Health & Fitness'] },
  { interest: 'skin care', cohorts: ['Fashion'] },
  { interest: 'hiking trips', cohorts: ['Travel', 'Outdoor'] },
  { interest: 'camping gear', cohorts: ['Outdoor'] },
]

/** Saved segments the demo creates (POST /api/segments). The webhook goes to WEBHOOK_SEGMENT. */
export const DEMO_SEGMENTS = [
  {
    name: 'Cart abandoners',
    description: 'Added to cart in the last 3 days, no order in that time',
    conditions: { all: [{ event: 'Product Added', within_last: { days: 3 } }, { not: { event: 'Order Completed', within_last: { days: 3 } } }] },
  },
  {
    name: 'Sports fans 25–44',
    description: 'Sports cohort, aged 25 to 44',
    conditions: { all: [{ cohort: 'Sports' }, { field: 'age', op: 'between', value: [25, 44] }] },
  },
  {
    name: 'High spenders',
    description: 'An order of $300 or more, or three orders, in the last 30 days',
    conditions: {
      any: [
        { event: 'Order Completed', where: [{ property: 'total', op: 'gte', value: 300 }], within_last: { days: 30 } },
        { event: 'Order Completed', within_last: { days: 30 }, count: { op: 'gte', value: 3 } },
      ],
    },
  },
  {
    name: 'Fashion newsletter',
    description: 'Fashion cohort; only people who granted marketing_email',
    conditions: { cohort: 'Fashion' },
    required_consent: ['marketing_email'],
  },
] as const

export const WEBHOOK_SEGMENT = 'High spenders'
