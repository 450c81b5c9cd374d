/**
 * The format of a template file: a workflow, its params and where each param goes. Templates are data,
 * so operators add their own by dropping such JSON files into TEMPLATES_DIR, without code. See
 * docs/templates.md for the format with an example.
 */
import * as z from 'zod';

/** Where a param's value is written: `workflow[node].inputs[input]`. */
const Target = z.strictObject({ node: z.string().min(1), input: z.string().min(1) });

const common = {
  description: z.string().max(500).optional(),
  /** Required params have no default; others without a default leave the workflow's value. */
  required: z.boolean().optional(),
  targets: z.array(Target).min(1),
};

const StringParam = z.strictObject({
  ...common,
  type: z.literal('string'),
  default: z.string().optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(1).optional(),
  pattern: z.string().optional(),
  enum: z.array(z.string()).min(1).optional(),
});
const IntegerParam = z.strictObject({
  ...common,
  type: z.literal('integer'),
  /** `"random"`: a random integer between minimum and maximum when the caller gives none. */
  default: z.union([z.number().int(), z.literal('random')]).optional(),
  minimum: z.number().int().optional(),
  maximum: z.number().int().optional(),
  multipleOf: z.number().int().positive().optional(),
});
const NumberParam = z.strictObject({
  ...common,
  type: z.literal('number'),
  default: z.number().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
});
const BooleanParam = z.strictObject({
  ...common,
  type: z.literal('boolean'),
  default: z.boolean().optional(),
});
/** An uploadId from POST /v1/uploads; written into the workflow as `upload:<uploadId>`. */
const UploadParam = z.strictObject({ ...common, type: z.literal('upload') });

export const ParamSpec = z.discriminatedUnion('type', [
  StringParam,
  IntegerParam,
  NumberParam,
  BooleanParam,
  UploadParam,
]);
export type ParamSpec = z.infer<typeof ParamSpec>;

export const TEMPLATE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const TemplateFile = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME_RE, 'lowercase letters, digits, "-" and "_", at most 64'),
  description: z.string().max(1000).default(''),
  params: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), ParamSpec),
  workflow: z.record(z.string(), z.unknown()),
});
export type TemplateFile = z.infer<typeof TemplateFile>;
