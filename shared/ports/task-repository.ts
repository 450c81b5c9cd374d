/**
 * Where tasks live (DynamoDB in production). Every write is conditional: `expect` names the status
 * (one or several) and, optionally, the version the caller read. A lost condition throws
 * TaskStateConflictError. Index keys (owner listing, the sparse "active at ComfyUI" and "queued"
 * indexes, the per-owner active count) are derived by the adapter from the task's fields; callers
 * never set them. A task re-entering `queued` gets `queuedAt` = the write's time unless the write
 * sets it; a new queued task should carry it (submit sets it to `createdAt`): without it the task is
 * not in the queued index and no sweeper would see it.
 */
import type { Task, TaskStatus } from '../domain/task.js';

export interface WriteExpectation {
  status: TaskStatus | readonly TaskStatus[];
  version?: number;
}

/** Fields a write may change. `undefined` values are left alone; names in `remove` are deleted. */
export type TaskChanges = Partial<
  Omit<Task, 'taskId' | 'owner' | 'createdAt' | 'version' | 'workflow'>
>;
export type RemovableField =
  | 'startedAt'
  | 'finishedAt'
  | 'dispatchedAt'
  | 'queuePosition'
  | 'comfyServer'
  | 'comfyNumber'
  | 'cancelRequested'
  | 'enqueuePending'
  | 'dispatchClaimUntil'
  | 'waitingForGpuSince'
  | 'copyFailures'
  | 'queuedAt'
  | 'error'
  | 'progress';

export interface IdempotencyClaim {
  key: string;
  /** sha256 of the canonical request body. */
  bodyHash: string;
}

export type CreateResult = { created: true; task: Task } | { created: false; task: Task };

export interface ListQuery {
  owner: string;
  status?: TaskStatus;
  limit: number;
  /** Opaque cursor from a previous page of the same owner (and status filter). */
  cursor?: string;
}
/**
 * A task as the list and poller indexes carry it: everything but the workflow (and the idempotency
 * key, and the dispatch claim and sweeper fields of a queued task). `get` returns the full task.
 */
export type TaskSummary = Omit<
  Task,
  | 'workflow'
  | 'idempotencyKey'
  | 'dispatchClaimUntil'
  | 'waitingForGpuSince'
  | 'queuedAt'
  | 'resends'
>;

export interface ListPage {
  items: TaskSummary[];
  nextCursor?: string;
}

export interface TaskRepository {
  /**
   * Store a new task. With an idempotency claim, the same (owner, key) and body hash returns the
   * existing task (`created: false`); a different body hash throws IdempotencyKeyReusedError.
   */
  create(task: Task, idempotency?: IdempotencyClaim): Promise<CreateResult>;
  get(taskId: string): Promise<Task | undefined>;
  /**
   * Conditional update; returns the task as written. Bumps `version` and sets `updatedAt` (to
   * `changes.updatedAt` when given, else the repository's clock). A status change must be allowed
   * from every expected status (InvalidTransitionError otherwise, nothing written). An unknown task
   * is TaskNotFoundError; a lost status/version condition is TaskStateConflictError whose `details`
   * carry the current `{ status, version }`.
   */
  update(
    taskId: string,
    expect: WriteExpectation,
    changes: TaskChanges,
    remove?: readonly RemovableField[],
  ): Promise<Task>;
  /**
   * The caller's tasks, newest first (by createdAt, then taskId), without their workflows. A cursor
   * made for another owner or status filter, or a malformed one, is InvalidRequestError with code
   * INVALID_CURSOR. `nextCursor` is present only when more items follow. Read from an eventually
   * consistent index: a task created or changed a moment ago may be missing or show its old status.
   */
  listByOwner(query: ListQuery): Promise<ListPage>;
  /** Tasks of this owner not yet terminal, counted up to `atMost` (enough to enforce a cap). */
  countActive(owner: string, atMost: number): Promise<number>;
  /**
   * Tasks at ComfyUI (dispatched or running, including those with cancelRequested), from a sparse
   * index: the cost grows with active tasks, never with all tasks stored. Oldest first. Eventually
   * consistent: re-read a task with `get` (or rely on conditional writes) before acting on it.
   */
  listAtComfy(): Promise<TaskSummary[]>;
  /**
   * Queued tasks whose `queuedAt` is at or before `before` (ISO), oldest first, at most `limit`,
   * from a sparse index of queued tasks: the cost grows with the tasks queued that long, never with
   * all tasks stored, and an empty answer costs one request. Eventually consistent, like
   * listAtComfy: re-read a task before acting on it.
   */
  listQueuedBefore(before: string, limit: number): Promise<QueuedEntry[]>;
}

/** A queued task as the sparse `queuedSince` index carries it. */
export interface QueuedEntry {
  taskId: string;
  queuedAt: string;
}
