// Request bodies sent compressed (Content-Encoding: gzip or deflate, as RudderStack's SDK and other
// server-side clients do by default), decoded as they stream in. The route's body limit counts the
// DECODED bytes and decoding stops at the limit, so a body of a few KB that inflates to gigabytes
// (a zip bomb) is a 413 after reading `limit` bytes, never an out-of-memory.
import { Readable, Transform, type TransformCallback } from 'node:stream'
import zlib from 'node:zlib'
import { ok, type Outcome, rejected } from '../domain/outcome.ts'
import { AppError } from '../errors.ts'

export const SUPPORTED_ENCODINGS = ['gzip', 'deflate', 'identity'] as const

type Coding = 'gzip' | 'deflate'

/** x-gzip is gzip's old name (RFC 9110 asks recipients to treat them alike). */
const CODINGS: Record<string, Coding | 'identity'> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', identity: 'identity' }

/**
 * The codings of a Content-Encoding header in the order they were applied (identity left out), or the
 * first one this server cannot decode (rejected as `unsupported_coding`, naming it as sent).
 */
export function parseContentEncoding(header: string): Outcome<Coding[], { coding: string }> {
  const codings: Coding[] = []
  for (const part of header.split(',')) {
    const name = part.trim().toLowerCase()
    if (name === '') continue
    const coding = Object.hasOwn(CODINGS, name) ? CODINGS[name] : undefined
    if (!coding) return rejected('unsupported_coding', { coding: part.trim() })
    if (coding !== 'identity') codings.push(coding)
  }
  return ok(codings)
}

export interface DecodedBody extends Readable {
  /** Compressed bytes read so far: Fastify compares them with Content-Length instead of the decoded count. */
  receivedEncodedLength: number
}

export interface DecodeOptions {
  /** Decoded bytes allowed; one more and decoding stops with `tooLarge`. */
  limit: number
  /** The 413's message, so each endpoint can name its own limit. */
  tooLarge: (limit: number) => string
}

/**
 * `encoded` decoded through each coding, last applied first. Errors come out of the returned stream
 * as AppErrors: payload_too_large at the limit, invalid_input for a corrupt or truncated body.
 */
export function decodeStream(encoded: Readable, codings: readonly Coding[], options: DecodeOptions): DecodedBody {
  let failed = false
  let decodedBytes = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      output.receivedEncodedLength += chunk.length
      done(null, chunk)
    },
  })
  // Unzip reads both the gzip and the zlib header, so a body labelled with the other coding still decodes.
  const decoders = [...codings].reverse().map((coding) => ({ coding, stream: zlib.createUnzip() }))
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (decodedBytes + chunk.length > options.limit) {
        fail(new AppError('payload_too_large', options.tooLarge(options.limit)))
        return done()
      }
      decodedBytes += chunk.length
      done(null, chunk)
    },
  })
  const output = capped as unknown as DecodedBody
  output.receivedEncodedLength = 0

  function fail(error: Error): void {
    if (failed) return
    failed = true
    // Stop inflating at once; the rest of the upload is read and discarded so the answer can still
    // be sent on this connection.
    encoded.unpipe(counter)
    encoded.resume()
    counter.destroy()
    for (const d of decoders) d.stream.destroy()
    capped.destroy(error)
  }

  // Fastify stops listening once it has an answer; an error after that must not crash the process.
  capped.on('error', () => {})
  encoded.on('error', (error) => fail(error))
  let upstream: Readable = encoded.pipe(counter)
  for (const { coding, stream } of decoders) {
    stream.on('error', (error) => fail(corruptBody(coding, error)))
    upstream = upstream.pipe(stream)
  }
  upstream.pipe(capped)
  return output
}

function corruptBody(coding: Coding, error: Error): AppError {
  const format = coding === 'gzip' ? 'gzip' : 'deflate (zlib, RFC 1950)'
  return new AppError(
    'invalid_input',
    `the body is not valid ${format} data (${error.message}): send it compressed as Content-Encoding says, or leave the header out for an uncompressed body`,
  )
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE'])

/** What the hook reads of a Fastify request (collect/ stays free of the framework). */
interface BodyRequest {
  method: string
  headers: { 'content-encoding'?: string }
  routeOptions: { bodyLimit: number }
}

/**
 * A Fastify preParsing hook that decodes a compressed body for the content-type parser, with the
 * route's bodyLimit as the decoded limit.
 */
export function decodeRequestBody(options: Pick<DecodeOptions, 'tooLarge'>) {
  return async function decodeBody(request: BodyRequest, _reply: unknown, payload: Readable): Promise<Readable> {
    const header = request.headers['content-encoding']
    if (header === undefined || BODYLESS.has(request.method)) return payload
    const parsed = parseContentEncoding(header)
    if (parsed.kind === 'rejected') {
      throw new AppError(
        'unsupported_media_type',
        `unsupported Content-Encoding "${parsed.detail.coding}": send the body as ${SUPPORTED_ENCODINGS.join(', ')} (or without the header)`,
      )
    }
    if (parsed.value.length === 0) return payload
    return decodeStream(payload, parsed.value, { limit: request.routeOptions.bodyLimit, tooLarge: options.tooLarge })
  }
}
