/**
 * Turns a template's param specs into the zod schema that validates a request's params, and from it
 * the JSON Schema that GET /v1/templates publishes: one definition, two uses.
 */
import * as z from 'zod/mini';
import { UUID_RE } from '../domain/ids.js';
import type { ParamSpec } from './template-file.js';

/** An upload param: the uploadId, bare or as the `upload:<uploadId>` reference a workflow uses. */
const UPLOAD_PARAM_RE = new RegExp(`^(upload:)?${UUID_RE.source.slice(1, -1)}$`);

/** The check for `value`, when the spec sets it. */
const when = <T, C>(value: T | undefined, check: (v: T) => C): C[] =>
  value === undefined ? [] : [check(value)];

function baseSchema(spec: ParamSpec): z.ZodMiniType {
  switch (spec.type) {
    case 'string': {
      if (spec.enum) return z.enum(spec.enum as [string, ...string[]]);
      return z
        .string()
        .check(
          ...when(spec.minLength, z.minLength),
          ...when(spec.maxLength, z.maxLength),
          ...when(spec.pattern, (p) => z.regex(new RegExp(p))),
        );
    }
    case 'integer':
      return z
        .number()
        .check(
          z.int(),
          ...when(spec.minimum, z.minimum),
          ...when(spec.maximum, z.maximum),
          ...when(spec.multipleOf, z.multipleOf),
        );
    case 'number':
      return z.number().check(...when(spec.minimum, z.minimum), ...when(spec.maximum, z.maximum));
    case 'boolean':
      return z.boolean();
    case 'upload':
      // `format: "upload"` tells a form generator (the web demo) to offer a file picker here.
      return z
        .string()
        .check(
          z.regex(UPLOAD_PARAM_RE, 'an uploadId from POST /v1/uploads (or upload:<uploadId>)'),
          z.meta({ format: 'upload' }),
        );
  }
}

function paramSchema(spec: ParamSpec): z.ZodMiniType {
  const base = baseSchema(spec);
  const described = spec.description ? base.check(z.describe(spec.description)) : base;
  if (spec.required) return described;
  const def = 'default' in spec ? spec.default : undefined;
  if (def === undefined || def === 'random') return z.optional(described);
  return z._default(described, def as never);
}

/** The strict object schema of a template's params (unknown params are rejected). */
export function paramsSchema(specs: Readonly<Record<string, ParamSpec>>): z.ZodMiniType {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [name, spec] of Object.entries(specs)) shape[name] = paramSchema(spec);
  return z.strictObject(shape);
}

/** JSON Schema (draft 2020-12) of the params, as a client would send them. */
export function paramsJsonSchema(schema: z.ZodMiniType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return rest;
}
