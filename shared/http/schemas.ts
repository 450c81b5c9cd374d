/**
 * The API's request and response schemas: the ONE source of truth. Handlers parse with them and
 * `docs/openapi.json` is generated from them (`npm run openapi`); a test fails if the two differ.
 */
import * as z from 'zod';
import { UUID_RE } from '../domain/ids.js';
import { TASK_STATUSES } from '../domain/task.js';
import { WEBHOOK_EVENTS } from '../domain/webhook.js';
import { OutputFormatRequest } from './submit-schemas.js';

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('Stable SCREAMING_SNAKE code; see docs/api.md.'),
    message: z.string().describe('What was wrong, for a person.'),
    details: z.unknown().optional().describe('E.g. `issues`: `[{ path, message }]`.'),
  }),
});

const TaskId = z.string().regex(UUID_RE, 'a lowercase UUID').describe('Task id (lowercase UUID).');

/** ISO 8601 UTC time. */
const IsoTime = z.string().meta({ format: 'date-time' });

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
  output: z.optional(OutputFormatRequest),
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
export {
  SubmitTaskRequest,
  SubmitTemplateRequest,
  SubmitWorkflowRequest,
} from './submit-schemas.js';

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
