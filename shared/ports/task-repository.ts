/**
 * Where tasks live (DynamoDB in production). Every write is conditional: `expect` names the status
 * (one or several) and, optionally, the version the caller read. A lost condition throws
 * TaskStateConflictError. Index keys (owner listing, the sparse "active at ComfyUI" index, the
 * per-owner active count) are derived by the adapter from the task's fields; callers never set them.
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
  | 'error';

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
export interface ListPage {
  items: Task[];
  nextCursor?: string;
}

export interface TaskRepository {
  /**
   * Store a new task. With an idempotency claim, the same (owner, key) and body hash returns the
   * existing task (`created: false`); a different body hash throws IdempotencyKeyReusedError.
   */
  create(task: Task, idempotency?: IdempotencyClaim): Promise<CreateResult>;
  get(taskId: string): Promise<Task | undefined>;
  /** Conditional update; returns the task as written. Bumps `version` and `updatedAt`. */
  update(
    taskId: string,
    expect: WriteExpectation,
    changes: TaskChanges,
    remove?: readonly RemovableField[],
  ): Promise<Task>;
  /** The caller's tasks, newest first. A cursor of another owner or filter is InvalidRequestError. */
  listByOwner(query: ListQuery): Promise<ListPage>;
  /** Tasks of this owner not yet terminal, counted up to `atMost` (enough to enforce a cap). */
  countActive(owner: string, atMost: number): Promise<number>;
  /**
   * Tasks at ComfyUI (dispatched or running, including those with cancelRequested), from a sparse
   * index: the cost grows with active tasks, never with all tasks stored.
   */
  listAtComfy(): Promise<Task[]>;
}
