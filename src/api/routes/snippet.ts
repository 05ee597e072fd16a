// GET /cdp.js: the browser snippet, public (a website's pages load it from the CDP's origin).
// The file never changes while the server runs, so its gzip form and ETags are computed once at load.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyRequest } from 'fastify'

const SNIPPET_SOURCE = readFileSync(new URL('../../collect/snippet/cdp.js', import.meta.url))

interface Representation {
  body: Buffer
  etag: string
}

function representation(body: Buffer): Representation {
  // Strong ETags name exact bytes, so the identity and gzip forms each get their own.
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
}

const identity = representation(SNIPPET_SOURCE)
const gzipped = representation(gzipSync(SNIPPET_SOURCE, { level: 9 }))

/** True when Accept-Encoding lists gzip (or *) with a non-zero q. */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false
  return header.split(',').some((part) => {
    const [coding, ...parameters] = part.trim().toLowerCase().split(';')
    if (coding?.trim() !== 'gzip' && coding?.trim() !== '*') return false
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}

function matches(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match']
  if (!header) return false
  return header === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag)
}

export async function snippetRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/cdp.js',
    {
      schema: {
        summary: 'The browser snippet (JavaScript): needs no key; see docs/api.md, "Browser snippet"',
        security: [],
      },
    },
    async (request, reply) => {
      const chosen = acceptsGzip(request.headers['accept-encoding']) ? gzipped : identity
      reply
        .header('content-type', 'application/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .header('etag', chosen.etag)
        .header('vary', 'Accept-Encoding')
        // Lets a page load it with crossorigin + integrity (subresource integrity).
        .header('access-control-allow-origin', '*')
        .header('x-content-type-options', 'nosniff')
      if (matches(request, chosen.etag)) return reply.code(304).send()
      if (chosen === gzipped) reply.header('content-encoding', 'gzip')
      return reply.send(chosen.body)
    },
  )
}
