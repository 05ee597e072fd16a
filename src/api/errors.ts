// The one place that maps error codes to HTTP statuses and shapes every error response.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorCode } from '../errors.ts'
import { storageUnavailable } from '../storage/sql/faults.ts'

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string }
}

export const errorResponseSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, request_id: { type: 'string' } },
      required: ['code', 'message', 'request_id'],
    },
  },
  required: ['error'],
} as const

/** Turns anything thrown in a route into an AppError a client can act on; unknown errors become `internal`. */
export function toAppError(error: unknown, maxBodyBytes: number): AppError {
  if (error instanceof AppError) return error
  // The database is down, restarting or full: 503, so clients retry instead of reporting a bug.
  const unavailable = storageUnavailable(error)
  if (unavailable) return unavailable
  const e = error as Partial<FastifyError> & { validation?: unknown }
  if (e.validation && typeof e.message === 'string') {
    // Fastify's Ajv messages name the place: "querystring/limit must be <= 1000".
    return new AppError('invalid_input', e.message.replace(/^(querystring|params|body|headers)\//, '$1.'))
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'payload_too_large',
        `request body is larger than the ${maxBodyBytes} byte limit: split it into smaller batches, or load the file with \`cdp import FILE\`, which streams any size`,
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('unsupported_media_type', e.message ?? 'unsupported content type')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_input', 'request body is empty: send a JSON object')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_input', `request body is not valid JSON: ${e.message ?? ''}`)
  }
  if (e instanceof SyntaxError) return new AppError('invalid_input', `request body is not valid JSON: ${e.message}`)
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.message === 'string') {
    const code: ErrorCode = e.statusCode === 404 ? 'not_found' : e.statusCode === 415 ? 'unsupported_media_type' : e.statusCode === 413 ? 'payload_too_large' : 'invalid_input'
    return new AppError(code, e.message)
  }
  return new AppError('internal', 'internal error: the server logged the cause; retry, and report the request_id if it persists')
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorBody = { error: { code: error.code, message: error.message, request_id: String(request.id) } }
  return reply.code(STATUS_BY_CODE[error.code]).type('application/json; charset=utf-8').send(body)
}
