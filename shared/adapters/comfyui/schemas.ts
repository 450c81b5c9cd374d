/**
 * zod schemas for the ComfyUI responses the client reads (captured examples: test/fixtures/comfy/).
 * They are deliberately loose (`looseObject`): ComfyUI adds fields between versions, and only the fields
 * we read are checked. zod/mini, as in config.ts: the dispatcher and the poller bundle no classic zod.
 */
import * as z from 'zod/mini';
import { OWNER_TAG_KEY } from '../../dispatch/owner-tag.js';

const anyRecord = () => z.record(z.string(), z.unknown());

/** `[event, data]` pairs in `status.messages`. */
const StatusMessage = z.tuple([z.string(), anyRecord()]);

const HistoryStatus = z.looseObject({
  status_str: z.optional(z.string()),
  completed: z.optional(z.boolean()),
  messages: z._default(z.array(StatusMessage), []),
});

/** One history entry: `{prompt, outputs, status, meta}`. */
export const HistoryEntry = z.looseObject({
  prompt: z.optional(z.array(z.unknown())),
  outputs: z._default(z.record(z.string(), anyRecord()), {}),
  status: z.optional(HistoryStatus),
  meta: z.optional(anyRecord()),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** `GET /history[/{id}]`: `{ "<prompt_id>": entry, ... }`; `{}` when there is nothing. */
export const HistoryResponse = z.record(z.string(), HistoryEntry);

/** A `/queue` item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]` (5, or 6 before v0.3.68 stripping). */
const QueueItem = z.pipe(
  z.array(z.unknown()).check(z.minLength(2)),
  z.transform((a: unknown[], ctx) => {
    const [number, promptId, , extraData] = a;
    if (typeof number !== 'number' || typeof promptId !== 'string') {
      ctx.issues.push({
        code: 'custom',
        message: 'queue item must start with [number, prompt_id]',
        input: a,
      });
      return z.NEVER;
    }
    const tag =
      typeof extraData === 'object' && extraData !== null
        ? (extraData as Record<string, unknown>)[OWNER_TAG_KEY]
        : undefined;
    return typeof tag === 'string' ? { number, promptId, ownerTag: tag } : { number, promptId };
  }),
);
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
  details: z.optional(z.string()),
  extra_info: z.optional(z.looseObject({ input_name: z.optional(z.string()) })),
});
export const NodeErrors = z.record(
  z.string(),
  z.looseObject({
    errors: z._default(z.array(NodeErrorItem), []),
    dependent_outputs: z.optional(z.array(z.unknown())),
    class_type: z.optional(z.string()),
  }),
);

export const SubmitResponse = z.looseObject({
  prompt_id: z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
  number: z.number(),
  node_errors: z._default(NodeErrors, {}),
});

/** The JSON body of a 400 on POST /prompt. */
export const RejectionBody = z.looseObject({
  error: z.union([
    z.looseObject({ type: z.string(), message: z.string(), details: z.optional(z.string()) }),
    z.pipe(
      z.string(),
      z.transform((message: string) => ({ type: 'error', message, details: undefined })),
    ),
  ]),
  node_errors: z._default(NodeErrors, {}),
});

export const UploadResponse = z.looseObject({
  name: z.string().check(z.minLength(1)),
  subfolder: z._default(z.string(), ''),
  type: z._default(z.string(), 'input'),
});

/** `GET /api/jobs/{id}` (>= v0.6.0). */
export const JobResponse = z.looseObject({
  id: z.string(),
  status: z.string(),
  priority: z.optional(z.number()),
  outputs: z.optional(z.record(z.string(), anyRecord())),
  execution_status: z.optional(HistoryStatus),
});
export type JobResponse = z.infer<typeof JobResponse>;

export const JsonObject = anyRecord();
