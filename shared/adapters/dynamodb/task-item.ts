/**
 * The tasks table item of one task, and back. The adapter alone knows this layout:
 * - `pk` = `TASK#<taskId>`; the task's fields as top-level attributes (the indexes project them);
 * - the workflow as gzip JSON in the binary `workflowGz`, or, when too large for the item, in S3
 *   under `workflowKey` (see DynamoTaskRepository);
 * - derived index keys, never set by callers: `gsiOwner`, `gsiCreated` = `<createdAt>#<taskId>`,
 *   `gsiOwnerStatus` = `<owner>#<status>`, sparse `gsiActive` (dispatched/running only), sparse
 *   `gsiQueued` (queued only; sorted by `queuedAt`) and sparse `gsiOwnerActive` (non-terminal only);
 * - `expiresAt` (epoch seconds, DynamoDB TTL) once the task is terminal.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  AT_COMFY_STATUSES,
  type ComfyWorkflow,
  isTerminal,
  type Task,
  type TaskStatus,
} from '../../domain/task.js';
import type { TaskSummary } from '../../ports/task-repository.js';
import { TASK_SUMMARY } from '../../resources.js';
import { createdSortKey } from '../task-list-cursor.js';

export const taskPk = (taskId: string) => `TASK#${taskId}`;
/** Owner and key are URI-encoded so no `#` inside them can make two claims collide. */
export const idempotencyPk = (owner: string, key: string) =>
  `IDEM#${encodeURIComponent(owner)}#${encodeURIComponent(key)}`;
/** Partition value of the sparse atComfy index (one partition: the poller reads it whole). */
export const AT_COMFY_PARTITION = 'AT_COMFY';
/** Partition value of the sparse queuedSince index (one partition: the sweeper reads its oldest). */
export const QUEUED_PARTITION = 'QUEUED';
const ownerStatusKey = (owner: string, status: TaskStatus) => `${owner}#${status}`;

/**
 * Fields only `get` returns: the lists never need them. The webhook deliveries and the live progress
 * stay out of the indexes, so their frequent writes cost no index writes.
 */
const FULL_FIELDS: readonly string[] = [
  ...TASK_SUMMARY,
  'idempotencyKey',
  'webhook',
  'deliveries',
  'progress',
  'progressSeq',
  'dispatchClaimUntil',
  'queuedAt',
  'resends',
  'waitingForGpuSince',
];

export const gzipWorkflow = (w: ComfyWorkflow): Buffer => gzipSync(JSON.stringify(w));
export const gunzipWorkflow = (b: Uint8Array): ComfyWorkflow =>
  JSON.parse(gunzipSync(b).toString('utf8')) as ComfyWorkflow;

/** Index attributes a task in `status` carries. `undefined` means the attribute is absent. */
export function derivedKeys(owner: string, status: TaskStatus) {
  return {
    gsiOwnerStatus: ownerStatusKey(owner, status),
    gsiActive: AT_COMFY_STATUSES.has(status) ? AT_COMFY_PARTITION : undefined,
    gsiQueued: status === 'queued' ? QUEUED_PARTITION : undefined,
    gsiOwnerActive: isTerminal(status) ? undefined : owner,
  };
}

export function toItem(
  task: Task,
  workflow: { workflowGz: Uint8Array } | { workflowKey: string },
  expiresAt: number | undefined,
): Record<string, unknown> {
  const { workflow: _w, ...fields } = task;
  return {
    ...fields,
    ...workflow,
    pk: taskPk(task.taskId),
    gsiOwner: task.owner,
    gsiCreated: createdSortKey(task),
    ...derivedKeys(task.owner, task.status),
    expiresAt,
  };
}

function pick(item: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (item[f] !== undefined) out[f] = item[f];
  // Lists come back as-is; make sure the array fields exist even on old or partial items.
  out.outputs ??= [];
  return out;
}

/** A summary from an index item (or a full item). */
export const summaryFromItem = (item: Record<string, unknown>): TaskSummary =>
  pick(item, TASK_SUMMARY) as unknown as TaskSummary;

/** The task without its workflow, from a full table item; the caller resolves the workflow. */
export const fieldsFromItem = (item: Record<string, unknown>): Omit<Task, 'workflow'> =>
  pick(item, FULL_FIELDS) as unknown as Omit<Task, 'workflow'>;
