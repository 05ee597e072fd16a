// Compressed request bodies (Content-Encoding: gzip, deflate) on every ingest endpoint, with the body
// limits counted on the decoded bytes: what RudderStack's SDK and other server-side clients send.
import { deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let baseUrl: string

const MAX_BODY_BYTES = 128 * 1024

beforeAll(async () => {
  t = await createTestApp({ CDP_MAX_BODY_BYTES: String(MAX_BODY_BYTES) })
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await t.close()
})

/** A gzip body of `members` × 64 MB of zeros (one member repeated: still one valid gzip body). */
function zipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(64 * 1024 * 1024))
  return Buffer.concat(Array.from({ length: members }, () => member))
}

async function send(url: string, body: Buffer | string, headers: Record<string, string>) {
  const response = await t.app.inject({ method: 'POST', url, headers, payload: body })
  return { status: response.statusCode, body: response.json(), headers: response.headers }
}

const segmentHeaders = (encoding: string) => ({ ...t.auth('ingest'), 'content-type': 'application/json', 'content-encoding': encoding })
const ingestHeaders = (encoding: string, contentType = 'application/json') => ({ ...t.auth('ingest'), 'content-type': contentType, 'content-encoding': encoding })

describe('compressed bodies on /v1/*', () => {
  it('accepts gzip, deflate, x-gzip and identity, on full and short paths', async () => {
    const batch = { batch: [{ type: 'track', anonymousId: 'anon-gzip', event: 'Zipped', messageId: 'gz-1' }] }
    expect((await send('/v1/batch', gzipSync(JSON.stringify(batch)), segmentHeaders('gzip'))).body).toMatchObject({ success: true, accepted: 1 })
    const track = { anonymousId: 'anon-gzip', event: 'Deflated', messageId: 'gz-2' }
    expect((await send('/v1/t', deflateSync(JSON.stringify(track)), segmentHeaders('deflate'))).status).toBe(200)
    expect((await send('/v1/track', gzipSync(JSON.stringify({ ...track, messageId: 'gz-3' })), segmentHeaders('x-gzip'))).status).toBe(200)
    expect((await send('/v1/track', JSON.stringify({ ...track, messageId: 'gz-4' }), segmentHeaders('identity'))).status).toBe(200)
    const events = await t.app.inject({ method: 'GET', url: '/api/events', query: { cookie: 'anon-gzip' }, headers: t.auth('read') })
    expect(events.json<{ events: Array<{ name: string }> }>().events.map((e) => e.name).sort()).toEqual(['Deflated', 'Deflated', 'Deflated', 'Zipped'])
  })

  it('applies the 500 KB batch limit to the decoded body', async () => {
    // About 3 KB compressed, 600 KB decoded.
    const batch = { batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', anonymousId: 'a', event: 'E', messageId: `gz-big-${i}`, properties: { pad: 'y'.repeat(30 * 1024) } })) }
    const body = gzipSync(JSON.stringify(batch))
    expect(body.length).toBeLessThan(50 * 1024)
    const answer = await send('/v1/batch', body, segmentHeaders('gzip'))
    expect(answer.status).toBe(413)
    expect(answer.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/limit is 500 KB per batch/) })
  })

  it('refuses an unknown coding with 415 naming the supported ones, and a corrupt body with 400', async () => {
    const unknown = await send('/v1/batch', JSON.stringify({ batch: [] }), segmentHeaders('br'))
    expect(unknown.status).toBe(415)
    expect(unknown.body.error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringContaining('"br": send the body as gzip, deflate, identity') })
    expect(unknown.headers['access-control-allow-origin']).toBe('*')

    const corrupt = await send('/v1/batch', 'not gzip at all', segmentHeaders('gzip'))
    expect(corrupt.status).toBe(400)
    expect(corrupt.body.error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('not valid gzip data (incorrect header check)') })
    expect(corrupt.body.error.request_id).toMatch(/^req_/)
  })
})

describe('compressed bodies on POST /api/ingest', () => {
  it('accepts gzip JSON, NDJSON and CSV, and deflate', async () => {
    const json = await send('/api/ingest', gzipSync(JSON.stringify([{ cookie: 'gz-c1', email: 'gz1@example.com' }])), ingestHeaders('gzip'))
    expect(json.body).toMatchObject({ status: 'success', records_processed: 1 })
    const ndjson = '{"cookie":"gz-c2","email":"gz2@example.com"}\n{"cookie":"gz-c3","email":"gz3@example.com"}\n'
    expect((await send('/api/ingest', gzipSync(ndjson), ingestHeaders('gzip', 'application/x-ndjson'))).body).toMatchObject({ status: 'success', records_processed: 2 })
    const csv = 'cookie,email,city\ngz-c4,gz4@example.com,Lyon\n'
    expect((await send('/api/ingest', deflateSync(csv), ingestHeaders('deflate', 'text/csv'))).body).toMatchObject({ status: 'success', records_processed: 1 })
    const profile = await t.user({ email: 'gz4@example.com' })
    expect(profile.body.user_profile.location_detail.city).toBe('Lyon')
  })

  it('applies the body limit to the decoded body, and refuses unknown or corrupt codings', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ cookie: `gz-limit-${i}`, note: 'z'.repeat(1000) }))
    const body = gzipSync(JSON.stringify(records))
    expect(body.length).toBeLessThan(MAX_BODY_BYTES)
    const tooLarge = await send('/api/ingest', body, ingestHeaders('gzip'))
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining(`${MAX_BODY_BYTES} byte limit once decompressed`) })

    const unknown = await send('/api/ingest', '[]', ingestHeaders('compress'))
    expect(unknown.status).toBe(415)
    expect(unknown.body.error.message).toContain('gzip, deflate, identity')
    const truncated = await send('/api/ingest', gzipSync('[{"cookie":"x"}]').subarray(0, 12), ingestHeaders('gzip'))
    expect(truncated.status).toBe(400)
    expect(truncated.body.error.message).toContain('unexpected end of file')
  })
})

describe('a zip bomb over real HTTP', () => {
  it('is a 413 on /v1/batch and /api/ingest, and the server keeps answering', async () => {
    // Each fits its endpoint's read limit compressed (1000 KB on /v1, 128 KB here on /api/ingest), so
    // only the decoded count can refuse it.
    for (const [path, headers, bomb] of [
      ['/v1/batch', segmentHeaders('gzip'), zipBomb(12)], // about 780 KB that inflates to 768 MB
      ['/api/ingest', ingestHeaders('gzip'), zipBomb(1)], // about 65 KB that inflates to 64 MB
    ] as const) {
      const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: new Uint8Array(bomb) })
      expect(response.status, path).toBe(413)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'payload_too_large',
        message: expect.stringContaining('decompressed'),
      })
    }
    const after = await fetch(`${baseUrl}/v1/track`, {
      method: 'POST',
      headers: segmentHeaders('gzip'),
      body: new Uint8Array(gzipSync(JSON.stringify({ anonymousId: 'after-bomb', event: 'Still Up', messageId: 'after-bomb-1' }))),
    })
    expect(after.status).toBe(200)
  })
})
