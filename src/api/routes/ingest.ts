// POST /api/ingest: JSON, NDJSON or CSV bodies through the ingest pipeline.
import type { FastifyInstance } from 'fastify'
import { formatFromContentType } from '../../collect/body.ts'
import { parseCsvDelimiter } from '../../collect/csv-rows.ts'
import { AppError } from '../../errors.ts'
import { QUALITY_POLICIES } from '../../pipeline/validate/quality-policy.ts'
import type { RouteContext } from '../app.ts'
import { errorResponseSchema } from '../errors.ts'
import type { SchemaRequestTypes } from '../http/schema-types.ts'
import { readBodiesAsText, textBody } from '../http/text-body.ts'

const recordErrorSchema = {
  type: 'object',
  properties: {
    record: { type: 'integer', description: '0-based record index; for CSV the data-row number (1 = first row after the header)' },
    field: { type: 'string' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['record', 'field', 'message'],
} as const

export async function ingestRoutes(fastify: FastifyInstance, ctx: RouteContext): Promise<void> {
  // This plugin reads bodies as text and parses them itself, so that a JSON error can name its
  // line and column and one bad NDJSON line or CSV row never fails its neighbours.
  readBodiesAsText(fastify, {
    tooLarge: (limit) =>
      `the body is larger than the ${limit} byte limit once decompressed (the limit counts decoded bytes): split it into smaller batches, or load the file with \`cdp import FILE\`, which streams any size`,
  })
  const app = fastify.withTypeProvider<SchemaRequestTypes>()

  app.post(
    '/api/ingest',
    {
      config: { scope: 'ingest' },
      schema: {
        summary: 'Ingest profile records (JSON object, JSON array, {"data": ...}, NDJSON or CSV)',
        consumes: ['application/json', 'application/x-ndjson', 'text/csv'],
        querystring: {
          type: 'object',
          properties: {
            source: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$', default: 'api' },
            on_invalid: {
              type: 'string',
              enum: [...QUALITY_POLICIES],
              description: "what an invalid optional field costs: the record (reject) or only the field (drop_field); default: the source's CDP_QUALITY_POLICY",
            },
            delimiter: {
              type: 'string',
              enum: [',', ';', '\t', '|', 'tab'],
              description: "a CSV body's delimiter (`tab` for a tab); without it, the header line tells",
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['success', 'partial', 'failed'] },
              records_processed: { type: 'integer' },
              records_failed: { type: 'integer' },
              duplicates: { type: 'integer', description: 'records already stored from this source (skipped, not failures)' },
              suppressed: { type: 'integer', description: 'records refused because they carry a suppressed identifier (docs/privacy.md): never stored' },
              batch_id: { type: 'string' },
              errors: { type: 'array', items: recordErrorSchema },
              warnings: { type: 'array', items: recordErrorSchema },
            },
            required: ['status', 'records_processed', 'records_failed', 'errors'],
          },
          400: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
        },
        headers: {
          type: 'object',
          properties: { 'content-encoding': { type: 'string', description: 'gzip, deflate or identity; the body limit counts decoded bytes' } },
        },
      },
    },
    async (request) => {
      const contentType = request.headers['content-type']
      const format = formatFromContentType(contentType)
      if (!format) {
        throw new AppError(
          'unsupported_media_type',
          `unsupported content type "${contentType ?? '(none)'}": send application/json, application/x-ndjson or text/csv`,
        )
      }
      const text = textBody(request)
      const { source, delimiter, on_invalid: onInvalid } = request.query
      const ingested = await ctx.pipeline.ingestBody({ text, format, delimiter: delimiter === undefined ? undefined : (parseCsvDelimiter(delimiter) ?? undefined), source, onInvalid })
      if (ingested.kind === 'rejected') throw new AppError('invalid_input', ingested.reason)
      const report = ingested.value
      const status = report.failed === 0 ? 'success' : report.failed === report.processed ? 'failed' : 'partial'
      return {
        status,
        records_processed: report.processed,
        records_failed: report.failed,
        duplicates: report.duplicates,
        suppressed: report.suppressed,
        batch_id: report.batchId,
        errors: report.errors,
        warnings: report.warnings,
      }
    },
  )
}
