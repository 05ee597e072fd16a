import { Readable } from 'node:stream'
import { deflateSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { AppError } from '../errors.ts'
import { decodeStream, parseContentEncoding } from './decode.ts'

const tooLarge = (limit: number) => `over ${limit}`

/** `body` as a stream of small chunks, the way a socket delivers it. */
function chunked(body: Buffer, size = 4096): Readable {
  const chunks: Buffer[] = []
  for (let at = 0; at < body.length; at += size) chunks.push(body.subarray(at, at + size))
  return Readable.from(chunks, { objectMode: false })
}

async function readAll(stream: Readable): Promise<{ text?: string; error?: unknown; decodedBytes: number }> {
  const chunks: Buffer[] = []
  let decodedBytes = 0
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer)
      decodedBytes += (chunk as Buffer).length
    }
    return { text: Buffer.concat(chunks).toString('utf8'), decodedBytes }
  } catch (error) {
    return { error, decodedBytes }
  }
}

/**
 * A gzip body of `members` × 64 MB of zeros: one 64 MB member (about 64 KB compressed) repeated, which
 * is still one valid gzip body (RFC 1952 allows several members). Cheap to build, huge to inflate.
 */
function zipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(64 * 1024 * 1024))
  return Buffer.concat(Array.from({ length: members }, () => member))
}

describe('parseContentEncoding', () => {
  it('lists the codings in the order applied, leaving identity out', () => {
    expect(parseContentEncoding('gzip')).toEqual({ kind: 'ok', value: ['gzip'] })
    expect(parseContentEncoding(' X-GZip ')).toEqual({ kind: 'ok', value: ['gzip'] })
    expect(parseContentEncoding('deflate, gzip')).toEqual({ kind: 'ok', value: ['deflate', 'gzip'] })
    expect(parseContentEncoding('identity')).toEqual({ kind: 'ok', value: [] })
    expect(parseContentEncoding('')).toEqual({ kind: 'ok', value: [] })
  })

  it('names the first coding it cannot decode', () => {
    expect(parseContentEncoding('gzip, br')).toEqual({ kind: 'rejected', reason: 'unsupported_coding', detail: { coding: 'br' } })
    expect(parseContentEncoding('compress')).toEqual({ kind: 'rejected', reason: 'unsupported_coding', detail: { coding: 'compress' } })
    expect(parseContentEncoding('__proto__')).toEqual({ kind: 'rejected', reason: 'unsupported_coding', detail: { coding: '__proto__' } })
  })
})

describe('decodeStream', () => {
  const text = JSON.stringify({ batch: Array.from({ length: 200 }, (_, i) => ({ type: 'track', event: `E${i}`, anonymousId: 'a' })) })

  it('decodes gzip, deflate and both in turn, counting the encoded bytes it read', async () => {
    const gzipped = gzipSync(text)
    const stream = decodeStream(chunked(gzipped, 100), ['gzip'], { limit: 1_000_000, tooLarge })
    expect((await readAll(stream)).text).toBe(text)
    expect(stream.receivedEncodedLength).toBe(gzipped.length)

    expect((await readAll(decodeStream(chunked(deflateSync(text)), ['deflate'], { limit: 1_000_000, tooLarge }))).text).toBe(text)
    const twice = gzipSync(deflateSync(text))
    expect((await readAll(decodeStream(chunked(twice), ['deflate', 'gzip'], { limit: 1_000_000, tooLarge }))).text).toBe(text)
  })

  it('stops a zip bomb at the limit: never more decoded bytes than allowed, and the rest is not inflated', async () => {
    const bomb = zipBomb(16) // about 1 MB that inflates to 1 GB
    const limit = 1024 * 1024
    const stream = decodeStream(chunked(bomb, 16 * 1024), ['gzip'], { limit, tooLarge })
    const result = await readAll(stream)
    expect(result.error).toBeInstanceOf(AppError)
    expect(result.error).toMatchObject({ code: 'payload_too_large', message: `over ${limit}` })
    expect(result.decodedBytes).toBeLessThanOrEqual(limit)
    // Decoding stopped near the start of the body instead of inflating all of it.
    expect(stream.receivedEncodedLength).toBeLessThan(bomb.length / 4)
  })

  it('answers a corrupt or truncated body with what is wrong', async () => {
    const corrupt = await readAll(decodeStream(chunked(Buffer.from('this is not gzip')), ['gzip'], { limit: 1000, tooLarge }))
    expect(corrupt.error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^the body is not valid gzip data \(incorrect header check\)/) })

    const gzipped = gzipSync(text)
    const truncated = await readAll(decodeStream(chunked(gzipped.subarray(0, gzipped.length - 20)), ['gzip'], { limit: 1_000_000, tooLarge }))
    expect(truncated.error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('unexpected end of file') })

    const rawDeflate = await readAll(decodeStream(chunked(deflateSync(text).subarray(2)), ['deflate'], { limit: 1_000_000, tooLarge }))
    expect(rawDeflate.error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('deflate (zlib, RFC 1950)') })
  })
})
