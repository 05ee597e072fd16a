// The storefront traffic both event benchmarks send (bench/events.ts over HTTP, bench/events-pipeline.ts in process).

const CATEGORIES = ['running shoes', 'tennis rackets', 'laptops', 'skin care', 'video games', 'cookware', 'hiking boots', 'headphones']

/** A storefront's mix: mostly page and product views, some carts, few orders; times spread over a day. */
export function* messages(count: number, rand: () => number, prefix: string, visitors: number): Generator<Record<string, unknown>> {
  const now = Date.now()
  for (let i = 0; i < count; i++) {
    const visitor = Math.floor(rand() * visitors)
    const r = rand()
    const timestamp = new Date(now - Math.floor(rand() * 86_400_000)).toISOString()
    const base = { anonymousId: `v-${visitor}`, messageId: `${prefix}-${i}`, timestamp, context: { library: { name: 'bench', version: '1' }, userAgent: 'bench' } }
    const category = CATEGORIES[visitor % CATEGORIES.length]
    if (r < 0.35) yield { ...base, type: 'page', name: 'Product', properties: { path: `/p/${i % 5000}`, title: 'Product page' } }
    else if (r < 0.8) yield { ...base, type: 'track', event: 'Product Viewed', properties: { sku: `SKU-${i % 5000}`, category, price: 20 + (i % 200) } }
    else if (r < 0.95) yield { ...base, type: 'track', event: 'Add to Cart', properties: { sku: `SKU-${i % 5000}`, quantity: 1 } }
    else if (r < 0.99) yield { ...base, type: 'track', event: 'Order Completed', properties: { order_id: `O-${i}`, total: 99.5 } }
    else yield { ...base, type: 'identify', traits: { email: `visitor${visitor}@example.com` } }
  }
}
