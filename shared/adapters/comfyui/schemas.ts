/**
 * zod schemas for the ComfyUI responses the client reads (captured examples: test/fixtures/comfy/).
 * They are deliberately loose (`looseObject`): ComfyUI adds fields between versions, and only the fields
 * we read are checked.
 */
import * as z from 'zod';
import { OWNER_TAG_KEY } from '../../dispatch/owner-tag.js';

/** `[event, data]` pairs in `status.messages`. */
const StatusMessage = z.tuple([z.string(), z.record(z.string(), z.unknown())]);

const HistoryStatus = z.looseObject({
  status_str: z.string().optional(),
  completed: z.boolean().optional(),
  messages: z.array(StatusMessage).default([]),
});

/** One history entry: `{prompt, outputs, status, meta}`. */
export const HistoryEntry = z.looseObject({
  prompt: z.array(z.unknown()).optional(),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  status: HistoryStatus.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** `GET /history[/{id}]`: `{ "<prompt_id>": entry, ... }`; `{}` when there is nothing. */
export const HistoryResponse = z.record(z.string(), HistoryEntry);

/** A `/queue` item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]` (5, or 6 before v0.3.68 stripping). */
const QueueItem = z
  .array(z.unknown())
  .min(2)
  .transform((a, ctx) => {
    const [number, promptId, , extraData] = a;
    if (typeof number !== 'number' || typeof promptId !== 'string') {
      ctx.addIssue({ code: 'custom', message: 'queue item must start with [number, prompt_id]' });
      return z.NEVER;
    }
    const tag =
      typeof extraData === 'object' && extraData !== null
        ? (extraData as Record<string, unknown>)[OWNER_TAG_KEY]
        : undefined;
    return typeof tag === 'string' ? { number, promptId, ownerTag: tag } : { number, promptId };
  });
export const QueueResponse = z.looseObject({
  queue_running: z.array(QueueItem),
  queue_pending: z.array(QueueItem),
});

export const PromptQueueInfo = z.looseObject({
  exec_info: z.looseObject({ queue_remaining: z.number() }),
});

const NodeErrorItem = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: z.string().optional(),
  extra_info: z.looseObject({ input_name: z.string().optional() }).optional(),
});
export const NodeErrors = z.record(
  z.string(),
  z.looseObject({
    errors: z.array(NodeErrorItem).default([]),
    dependent_outputs: z.array(z.unknown()).optional(),
    class_type: z.string().optional(),
  }),
);

export const SubmitResponse = z.looseObject({
  prompt_id: z.union([z.string(), z.number()]).transform(String),
  number: z.number(),
  node_errors: NodeErrors.default({}),
});

/** The JSON body of a 400 on POST /prompt. */
export const RejectionBody = z.looseObject({
  error: z.union([
    z.looseObject({ type: z.string(), message: z.string(), details: z.string().optional() }),
    z.string().transform((message) => ({ type: 'error', message, details: undefined })),
  ]),
  node_errors: NodeErrors.default({}),
});

export const UploadResponse = z.looseObject({
  name: z.string().min(1),
  subfolder: z.string().default(''),
  type: z.string().default('input'),
});

/** `GET /api/jobs/{id}` (>= v0.6.0). */
export const JobResponse = z.looseObject({
  id: z.string(),
  status: z.string(),
  priority: z.number().optional(),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  execution_status: HistoryStatus.optional(),
});
export type JobResponse = z.infer<typeof JobResponse>;

export const JsonObject = z.record(z.string(), z.unknown());
