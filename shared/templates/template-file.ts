/**
 * The format of a template file: a workflow, its params and where each param goes. Templates are data,
 * so operators add their own by dropping such JSON files into TEMPLATES_DIR, without code. See
 * docs/templates.md for the format with an example.
 */
import * as z from 'zod/mini';

const text = (min: number) => z.string().check(z.minLength(min));
const int = () => z.number().check(z.int());

/** Where a param's value is written: `workflow[node].inputs[input]`. */
const Target = z.strictObject({ node: text(1), input: text(1) });

const common = {
  description: z.optional(z.string().check(z.maxLength(500))),
  /** Required params have no default; others without a default leave the workflow's value. */
  required: z.optional(z.boolean()),
  targets: z.array(Target).check(z.minLength(1)),
};

const StringParam = z.strictObject({
  ...common,
  type: z.literal('string'),
  default: z.optional(z.string()),
  minLength: z.optional(int().check(z.minimum(0))),
  maxLength: z.optional(int().check(z.minimum(1))),
  pattern: z.optional(z.string()),
  enum: z.optional(z.array(z.string()).check(z.minLength(1))),
});
const IntegerParam = z.strictObject({
  ...common,
  type: z.literal('integer'),
  /** `"random"`: a random integer between minimum and maximum when the caller gives none. */
  default: z.optional(z.union([int(), z.literal('random')])),
  minimum: z.optional(int()),
  maximum: z.optional(int()),
  multipleOf: z.optional(int().check(z.positive())),
});
const NumberParam = z.strictObject({
  ...common,
  type: z.literal('number'),
  default: z.optional(z.number()),
  minimum: z.optional(z.number()),
  maximum: z.optional(z.number()),
});
const BooleanParam = z.strictObject({
  ...common,
  type: z.literal('boolean'),
  default: z.optional(z.boolean()),
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
  name: z
    .string()
    .check(z.regex(TEMPLATE_NAME_RE, 'lowercase letters, digits, "-" and "_", at most 64')),
  description: z._default(z.string().check(z.maxLength(1000)), ''),
  params: z.record(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/)), ParamSpec),
  workflow: z.record(z.string(), z.unknown()),
});
export type TemplateFile = z.infer<typeof TemplateFile>;
