// The `:id` of the change-stream and webhook routes: a segment's id or its name, as on the other
// segment routes, resolved through the activation store.
import { AppError } from '../../errors.ts'
import type { ActivationStore } from '../../storage/ports/activation.ts'

export const segmentParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'segment id or name' } },
  required: ['id'],
} as const

/** The segment's id; 404 when no segment has that id or name. */
export async function requireSegment(store: Pick<ActivationStore, 'findSegment'>, idOrName: string): Promise<string> {
  const segment = await store.findSegment(idOrName)
  if (!segment) throw new AppError('not_found', `no segment "${idOrName}": GET /api/segments lists them`)
  return segment.id
}
