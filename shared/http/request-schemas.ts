/**
 * The path, query and body schemas of the status, list, cancel and upload routes, on zod/mini so
 * those functions bundle no classic zod (the submit body: submit-schemas.ts). Parse results, issue paths and messages are zod's
 * own (English messages, see config.ts); `schemas.ts` re-exports them for the routes and OpenAPI.
 */
import * as z from 'zod/mini';
import { UUID_RE } from '../domain/ids.js';
import { TASK_STATUSES } from '../domain/task.js';
import { UPLOAD_CONTENT_TYPES } from '../use-cases/create-upload.js';

const TaskId = z
  .string()
  .check(z.regex(UUID_RE, 'a lowercase UUID'), z.describe('Task id (lowercase UUID).'));

export const TaskPath = z.object({ taskId: TaskId });

/** Longest a GET /v1/tasks/{id} may wait for a change (API Gateway's integration limit is 30 s). */
const MAX_WAIT_SECONDS = 20;

export const GetTaskQuery = z.strictObject({
  wait: z
    .optional(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(MAX_WAIT_SECONDS)))
    .check(
      z.describe(
        `Long polling: answer as soon as the task's version is above \`since\` (or it is finished), or after this many seconds with the task as it is; at most ${MAX_WAIT_SECONDS}.`,
      ),
    ),
  since: z
    .optional(z.coerce.number().check(z.int(), z.minimum(0)))
    .check(
      z.describe('The `version` the caller has; default: the version when the request arrives.'),
    ),
});

export const ListTasksQuery = z.strictObject({
  status: z.optional(z.enum(TASK_STATUSES)),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
  cursor: z
    .optional(
      z
        .string()
        .check(z.minLength(1), z.maxLength(2048), z.regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor')),
    )
    .check(z.describe('nextCursor of the previous page.')),
});

export const CreateUploadRequest = z.strictObject({
  filename: z.string().check(z.minLength(1), z.maxLength(255)),
  contentType: z.enum(UPLOAD_CONTENT_TYPES),
  size: z
    .number()
    .check(z.int(), z.minimum(1), z.describe('Bytes; at most the configured UPLOAD_MAX_BYTES.')),
});
