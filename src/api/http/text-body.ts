// Routes that parse their own bodies (ingest's JSON, NDJSON and CSV; the Segment-spec API) take
// every body as text, decoded from gzip or deflate first, so their parsers can name the line and
// column of an error and one bad record never fails its neighbours.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { type DecodeOptions, decodeRequestBody } from '../../collect/decode.ts'

/** Within the calling plugin: any content type reaches the handler as text; `tooLarge` words the 413 once decoded. */
export function readBodiesAsText(app: FastifyInstance, options: Pick<DecodeOptions, 'tooLarge'>): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  app.addHook('preParsing', decodeRequestBody(options))
}

/** The body `readBodiesAsText` left: its text, or '' when the request had none. */
export function textBody(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : ''
}
