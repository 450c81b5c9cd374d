/**
 * The POST /v1/tasks body schemas (a workflow or a template with params, metadata, output format,
 * webhook), on zod/mini like request-schemas.ts; `schemas.ts` re-exports them for OpenAPI.
 */
import * as z from 'zod/mini';
import { DEFAULT_QUALITY, OUTPUT_FORMATS } from '../domain/output-format.js';
import { DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from '../domain/webhook.js';
import { TEMPLATE_NAME_RE } from '../templates/template-file.js';
import { MAX_WEBHOOK_URL_LENGTH } from '../webhooks/target.js';
import { MAX_WORKFLOW_NODES } from '../workflow/validate-workflow.js';

/** Largest `metadata`, as JSON text. */
export const MAX_METADATA_BYTES = 4096;

const ComfyNodeSchema = z.looseObject({
  class_type: z.string().check(z.minLength(1)),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.optional(z.looseObject({ title: z.optional(z.string()) })),
});

const WorkflowSchema = z
  .record(z.string(), ComfyNodeSchema)
  .check(
    z.describe(
      `ComfyUI API-format graph ("Export (API)"): node id -> { class_type, inputs }; links are ["nodeId", outputIndex]; at most ${MAX_WORKFLOW_NODES} nodes. An input "upload:<uploadId>" refers to an upload.`,
    ),
  );

const Metadata = z
  .record(z.string(), z.unknown())
  .check(
    z.describe(
      `A small JSON object echoed back with the task (at most ${MAX_METADATA_BYTES} bytes).`,
    ),
  );

export const OutputFormatRequest = z
  .strictObject({
    format: z.enum(OUTPUT_FORMATS),
    quality: z
      .optional(z.number().check(z.int(), z.minimum(1), z.maximum(100)))
      .check(
        z.describe(
          `webp and jpeg quality; default ${DEFAULT_QUALITY}. png is lossless and ignores it.`,
        ),
      ),
  })
  .check(
    z.describe(
      "Convert the task's still images to this format while storing them (video and audio are refused). Converted images carry no metadata: the prompt and workflow ComfyUI embeds in PNGs are dropped.",
    ),
  );

const WebhookRequest = z
  .strictObject({
    url: z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(MAX_WEBHOOK_URL_LENGTH),
        z.describe(
          'https URL of a public host (resolved and checked: private, loopback, link-local and metadata addresses are refused; redirects are not followed).',
        ),
      ),
    events: z
      .optional(z.array(z.enum(WEBHOOK_EVENTS)).check(z.minLength(1)))
      .check(z.describe(`Events to send; default ${DEFAULT_WEBHOOK_EVENTS.join(', ')}.`)),
  })
  .check(
    z.describe(
      'Send signed events (Standard Webhooks) about this task to this URL; see docs/webhooks.md.',
    ),
  );

export const SubmitWorkflowRequest = z.strictObject({
  workflow: WorkflowSchema,
  metadata: z.optional(Metadata),
  output: z.optional(OutputFormatRequest),
  webhook: z.optional(WebhookRequest),
});
export const SubmitTemplateRequest = z.strictObject({
  template: z
    .string()
    .check(z.regex(TEMPLATE_NAME_RE, 'a template name'), z.describe('GET /v1/templates')),
  params: z
    .optional(z.record(z.string(), z.unknown()))
    .check(z.describe("The template's params, per its JSON Schema.")),
  metadata: z.optional(Metadata),
  output: z.optional(OutputFormatRequest),
  webhook: z.optional(WebhookRequest),
});
export const SubmitTaskRequest = z.union([SubmitWorkflowRequest, SubmitTemplateRequest]);
