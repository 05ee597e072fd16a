// The console at `/`: the single-page app built into dist/web (scripts/build.mjs runs `vite build`).
// Hashed assets are cached for a year; index.html is never cached, so a new build shows on reload.
// Any other GET that asks for HTML and is not an API path answers index.html (the app's own routes).
import fs from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Paths that belong to the API, never to the console. */
const API_PREFIXES = ['/api', '/v1', '/docs', '/openapi.json', '/health', '/cdp.js']

export function isApiPath(url: string): boolean {
  const pathname = url.split('?')[0] ?? url
  return API_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`))
}

const MISSING_BUILD = (dir: string) => `<!doctype html><html lang="en"><meta charset="utf-8"><title>CDP console not built</title>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>The console is not built</h1>
<p>The API works (see <a href="/docs">/docs</a>), but there is no console build in <code>${dir.replaceAll('<', '&lt;')}</code>.</p>
<p>Build it with <code>npm run build</code> (which <code>npm install</code> runs too), then reload.</p></body></html>`

/** The console's routes, and the fallback the app's not-found handler asks first. */
export function consoleSite(dir: string) {
  const index = path.join(dir, 'index.html')
  const built = fs.existsSync(index)

  const sendIndex = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache')
    if (!built) return reply.code(200).type('text/html; charset=utf-8').send(MISSING_BUILD(dir))
    return reply.type('text/html; charset=utf-8').send(fs.createReadStream(index))
  }

  async function consoleRoutes(app: FastifyInstance): Promise<void> {
    if (built) {
      await app.register(fastifyStatic, {
        root: dir,
        prefix: '/',
        index: false,
        wildcard: false,
        cacheControl: false,
        setHeaders: (reply, file) => {
          // Vite names every asset by its content hash: safe to keep for a year.
          const asset = file.startsWith(path.join(dir, 'assets') + path.sep)
          reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache')
        },
      })
    }
    app.get('/', { schema: { hide: true } }, async (_request, reply) => sendIndex(reply))
  }

  /** An unknown GET that accepts HTML and is not an API path is one of the app's routes: index.html. Else undefined. */
  function fallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
    const wantsHtml = (request.headers.accept ?? '').includes('text/html')
    if ((request.method === 'GET' || request.method === 'HEAD') && wantsHtml && !isApiPath(request.url)) return sendIndex(reply)
    return undefined
  }

  return { consoleRoutes, fallback }
}
