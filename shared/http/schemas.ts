/**
 * The API's request and response schemas: the ONE source of truth. Handlers parse with them and
 * `docs/openapi.json` is generated from them (`npm run openapi`); a test fails if the two differ.
 */
import * as z from 'zod';
import { UUID_RE } from '../domain/ids.js';
import { DEFAULT_QUALITY, OUTPUT_FORMATS } from '../domain/output-format.js';
import { TASK_STATUSES } from '../domain/task.js';
import { DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from '../domain/webhook.js';
import { TEMPLATE_NAME_RE } from '../templates/template-file.js';
import { MAX_WEBHOOK_URL_LENGTH } from '../webhooks/target.js';
import { MAX_WORKFLOW_NODES } from '../workflow/validate-workflow.js';

/** Largest `metadata`, as JSON text. */
export const MAX_METADATA_BYTES = 4096;

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('Stable SCREAMING_SNAKE code; see docs/api.md.'),
    message: z.string().describe('What was wrong, for a person.'),
    details: z.unknown().optional().describe('E.g. `issues`: `[{ path, message }]`.'),
  }),
});

const TaskId = z.string().regex(UUID_RE, 'a lowercase UUID').describe('Task id (lowercase UUID).');

const ComfyNodeSchema = z.looseObject({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});

const WorkflowSchema = z
  .record(z.string(), ComfyNodeSchema)
  .describe(
    `ComfyUI API-format graph ("Export (API)"): node id -> { class_type, inputs }; links are ["nodeId", outputIndex]; at most ${MAX_WORKFLOW_NODES} nodes. An input "upload:<uploadId>" refers to an upload.`,
  );

/** ISO 8601 UTC time. */
const IsoTime = z.string().meta({ format: 'date-time' });

const Metadata = z
  .record(z.string(), z.unknown())
  .describe(`A small JSON object echoed back with the task (at most ${MAX_METADATA_BYTES} bytes).`);

const OutputFormatRequest = z
  .strictObject({
    format: z.enum(OUTPUT_FORMATS),
    quality: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        `webp and jpeg quality; default ${DEFAULT_QUALITY}. png is lossless and ignores it.`,
      ),
  })
  .describe(
    "Convert the task's still images to this format while storing them (video and audio are refused). Converted images carry no metadata: the prompt and workflow ComfyUI embeds in PNGs are dropped.",
  );

const WebhookRequest = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .max(MAX_WEBHOOK_URL_LENGTH)
      .describe(
        'https URL of a public host (resolved and checked: private, loopback, link-local and metadata addresses are refused; redirects are not followed).',
      ),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .optional()
      .describe(`Events to send; default ${DEFAULT_WEBHOOK_EVENTS.join(', ')}.`),
  })
  .describe(
    'Send signed events (Standard Webhooks) about this task to this URL; see docs/webhooks.md.',
  );

export const SubmitWorkflowRequest = z.strictObject({
  workflow: WorkflowSchema,
  metadata: Metadata.optional(),
  output: OutputFormatRequest.optional(),
  webhook: WebhookRequest.optional(),
});
export const SubmitTemplateRequest = z.strictObject({
  template: z.string().regex(TEMPLATE_NAME_RE, 'a template name').describe('GET /v1/templates'),
  params: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The template's params, per its JSON Schema."),
  metadata: Metadata.optional(),
  output: OutputFormatRequest.optional(),
  webhook: WebhookRequest.optional(),
});
export const SubmitTaskRequest = z.union([SubmitWorkflowRequest, SubmitTemplateRequest]);

export const SubmitTaskResponse = z.object({
  taskId: TaskId,
  status: z.enum(TASK_STATUSES),
  createdAt: IsoTime,
});

export const OutputView = z.object({
  nodeId: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().describe('Bytes stored (after conversion, when the task asked for one).'),
  originalSize: z
    .number()
    .int()
    .optional()
    .describe('Bytes ComfyUI wrote, when the output was converted to the asked format.'),
  originalContentType: z
    .string()
    .optional()
    .describe('Type ComfyUI wrote, when the output was converted.'),
  url: z.string().describe('Presigned S3 GET.'),
  expiresAt: IsoTime,
});

const ProgressView = z.object({
  fraction: z
    .number()
    .min(0)
    .max(1)
    .describe('Share of the whole workflow done, 0..1; never goes back.'),
  step: z.number().int().optional().describe('Step of the node executing now (e.g. sampler step).'),
  steps: z.number().int().optional(),
  nodeId: z.string().optional(),
  nodeType: z.string().optional(),
  updatedAt: IsoTime,
});

const WebhookDeliveryView = z.object({
  event: z.enum(WEBHOOK_EVENTS),
  webhookId: z.string().describe('The `webhook-id` header: the same on every retry.'),
  attempts: z.number().int(),
  lastStatus: z.number().int().optional(),
  lastError: z.string().optional(),
  lastAttemptAt: IsoTime.optional(),
  deliveredAt: IsoTime.optional(),
  abandonedAt: IsoTime.optional().describe('Retries ran out; the event was dead-lettered.'),
});

const WebhookView = z.object({
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  deliveries: z.array(WebhookDeliveryView),
});

export const TaskView = z.object({
  taskId: TaskId,
  status: z.enum(TASK_STATUSES),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  startedAt: IsoTime.optional(),
  finishedAt: IsoTime.optional(),
  queuePosition: z.number().int().min(0).optional().describe("Place in ComfyUI's queue, 0-based."),
  waitingFor: z
    .literal('gpu')
    .optional()
    .describe('While queued: no GPU was up to take the task and one is starting for it.'),
  waitingSince: IsoTime.optional().describe('Since when the task has been waiting for a GPU.'),
  cancelRequested: z.boolean().optional(),
  template: z.string().optional(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      nodeId: z.string().optional(),
      nodeType: z.string().optional(),
      details: z.unknown().optional(),
    })
    .optional(),
  outputs: z.array(OutputView),
  metadata: z.record(z.string(), z.unknown()).optional(),
  output: OutputFormatRequest.optional(),
  progress: ProgressView.optional().describe('While running: how far the workflow has come.'),
  webhook: WebhookView.optional(),
  version: z
    .number()
    .int()
    .describe('Grows with every change of the task; pass it as `since` to wait for the next.'),
});

/** What a caller sees of a task: the use case builds it, the API returns it, the CLI reads it. */
export type TaskView = z.infer<typeof TaskView>;
export type OutputView = z.infer<typeof OutputView>;
export type SubmitTaskResponse = z.infer<typeof SubmitTaskResponse>;
export type ListTasksResponse = z.infer<typeof ListTasksResponse>;

export { CreateUploadRequest, GetTaskQuery, ListTasksQuery, TaskPath } from './request-schemas.js';

export const ListTasksResponse = z.object({
  items: z.array(TaskView),
  nextCursor: z.string().optional(),
});

export const TemplatesResponse = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      params: z.record(z.string(), z.unknown()).describe('JSON Schema of `params`.'),
    }),
  ),
});

export const ModelsResponse = z.object({
  models: z
    .record(z.string(), z.array(z.string()))
    .describe(
      'Model file names by ComfyUI model folder (checkpoints, loras, vae, ...), as the servers list them; empty until the servers have published their catalogue.',
    ),
});

export const CreateUploadResponse = z.object({
  uploadId: z.string().regex(UUID_RE),
  url: z.string().describe('Presigned S3 PUT; send the image with the headers below.'),
  expiresAt: IsoTime,
  maxBytes: z.number().int(),
  headers: z.record(z.string(), z.string()),
});
