// Request types from each route's own JSON Schema, so a handler reads `request.query.limit` as the
// number ajv has already checked, with no cast that could drift from the schema.
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyTypeProvider } from 'fastify'

type Validated<Schema> = (JsonSchemaToTsProvider & { schema: Schema })['validator']

/**
 * json-schema-to-ts for params, query string, headers and body; replies stay untyped. Reply types
 * from json-schema-to-ts give every open object (`additionalProperties`, the default) an index
 * signature that domain interfaces such as RecordError, FieldIssue and Explanation lack, and a
 * `type: 'null'` 204 a required `send(null)`: typing replies would cost a cast or a reshaped value
 * in most routes, while the serializer still checks every reply against its schema at run time.
 */
export interface SchemaRequestTypes extends FastifyTypeProvider {
  validator: Validated<this['schema']>
  serializer: unknown
}
