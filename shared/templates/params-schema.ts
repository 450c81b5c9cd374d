/**
 * Turns a template's param specs into the zod schema that validates a request's params, and from it
 * the JSON Schema that GET /v1/templates publishes: one definition, two uses.
 */
import * as z from 'zod';
import { UUID_RE } from '../domain/ids.js';
import type { ParamSpec } from './template-file.js';

/** An upload param: the uploadId, bare or as the `upload:<uploadId>` reference a workflow uses. */
const UPLOAD_PARAM_RE = new RegExp(`^(upload:)?${UUID_RE.source.slice(1, -1)}$`);

function baseSchema(spec: ParamSpec): z.ZodType {
  switch (spec.type) {
    case 'string': {
      if (spec.enum) return z.enum(spec.enum as [string, ...string[]]);
      let s = z.string();
      if (spec.minLength !== undefined) s = s.min(spec.minLength);
      if (spec.maxLength !== undefined) s = s.max(spec.maxLength);
      if (spec.pattern !== undefined) s = s.regex(new RegExp(spec.pattern));
      return s;
    }
    case 'integer': {
      let n = z.number().int();
      if (spec.minimum !== undefined) n = n.min(spec.minimum);
      if (spec.maximum !== undefined) n = n.max(spec.maximum);
      if (spec.multipleOf !== undefined) n = n.multipleOf(spec.multipleOf);
      return n;
    }
    case 'number': {
      let n = z.number();
      if (spec.minimum !== undefined) n = n.min(spec.minimum);
      if (spec.maximum !== undefined) n = n.max(spec.maximum);
      return n;
    }
    case 'boolean':
      return z.boolean();
    case 'upload':
      // `format: "upload"` tells a form generator (the web demo) to offer a file picker here.
      return z
        .string()
        .regex(UPLOAD_PARAM_RE, 'an uploadId from POST /v1/uploads (or upload:<uploadId>)')
        .meta({ format: 'upload' });
  }
}

function paramSchema(spec: ParamSpec): z.ZodType {
  const base = baseSchema(spec);
  const described = spec.description ? base.describe(spec.description) : base;
  if (spec.required) return described;
  const def = 'default' in spec ? spec.default : undefined;
  if (def === undefined || def === 'random') return described.optional();
  return described.default(def as never);
}

/** The strict object schema of a template's params (unknown params are rejected). */
export function paramsSchema(specs: Readonly<Record<string, ParamSpec>>): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(specs)) shape[name] = paramSchema(spec);
  return z.strictObject(shape);
}

/** JSON Schema (draft 2020-12) of the params, as a client would send them. */
export function paramsJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return rest;
}
