/**
 * The TaskRepository port in memory, with the same semantics as the DynamoDB adapter (both pass
 * test/contract/task-repository.contract.ts): conditional writes, idempotency claims with a 24 h TTL,
 * newest-first listing with the same opaque cursors, and summaries without workflows from the lists.
 * Every read returns a copy, so callers cannot change stored state by mutating a result.
 */

import {
  createdSortKey,
  decodeListCursor,
  encodeListCursor,
} from '../../shared/adapters/task-list-cursor.js';
import {
  becomesTerminal,
  checkUpdate,
  expectedStatuses,
  IDEMPOTENCY_TTL_SECONDS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  retentionExpiry,
} from '../../shared/adapters/task-write-rules.js';
import {
  IdempotencyKeyReusedError,
  InvalidRequestError,
  TaskNotFoundError,
  TaskStateConflictError,
} from '../../shared/domain/errors.js';
import {
  AT_COMFY_STATUSES,
  isTerminal,
  type Task,
  type TaskProgress,
} from '../../shared/domain/task.js';
import type { WebhookDelivery } from '../../shared/domain/webhook.js';
import { type Clock, systemClock } from '../../shared/ports/clock.js';
import type { ProgressLog } from '../../shared/ports/progress-log.js';
import type {
  CreateResult,
  IdempotencyClaim,
  ListPage,
  ListQuery,
  QueuedEntry,
  RemovableField,
  TaskChanges,
  TaskRepository,
  TaskSummary,
  WriteExpectation,
} from '../../shared/ports/task-repository.js';
import type { WebhookDeliveryLog } from '../../shared/ports/webhook-delivery-log.js';

interface IdemRecord {
  taskId: string;
  bodyHash: string;
  expiresAtMs: number;
}

type Method = keyof TaskRepository;

const summary = (t: Task): TaskSummary => {
  const {
    workflow: _w,
    idempotencyKey: _k,
    dispatchClaimUntil: _c,
    queuedAt: _q,
    resends: _r,
    waitingForGpuSince: _g,
    ...rest
  } = structuredClone(t);
  return rest;
};

export class InMemoryTaskRepository implements TaskRepository, WebhookDeliveryLog, ProgressLog {
  private readonly tasks = new Map<string, Task>();
  private readonly expiries = new Map<string, number>();
  private readonly idem = new Map<string, IdemRecord>();
  private readonly failures: { method: Method; error: Error }[] = [];
  private readonly clock: Clock;
  private readonly retentionDays: number;
  /** Number of calls per method, for assertions such as "no second task was written". */
  readonly calls: Record<Method, number> = {
    create: 0,
    get: 0,
    update: 0,
    listByOwner: 0,
    countActive: 0,
    listAtComfy: 0,
    listQueuedBefore: 0,
  };

  constructor(options: { clock?: Clock; retentionDays?: number } = {}) {
    this.clock = options.clock ?? systemClock;
    this.retentionDays = options.retentionDays ?? 30;
  }

  /** Make the next `times` calls of `method` throw `error` (e.g. a DependencyUnavailableError). */
  failNext(method: Method, error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ method, error });
  }

  /** Store a task as is, bypassing every rule (test setup). */
  seed(...tasks: Task[]): void {
    for (const t of tasks) this.tasks.set(t.taskId, structuredClone(t));
  }

  /** Every stored task (copies), in insertion order. */
  all(): Task[] {
    return [...this.tasks.values()].map((t) => structuredClone(t));
  }

  /** The DynamoDB TTL (epoch seconds) the task would carry; set once it is terminal. */
  expiresAtOf(taskId: string): number | undefined {
    return this.expiries.get(taskId);
  }

  private enter(method: Method): void {
    this.calls[method] += 1;
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f?.error;
    }
  }

  async create(task: Task, idempotency?: IdempotencyClaim): Promise<CreateResult> {
    this.enter('create');
    const now = this.clock.now();
    let idemKey: string | undefined;
    if (idempotency) {
      if (idempotency.key.length === 0 || idempotency.key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
        throw new InvalidRequestError(
          `An Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`,
        );
      idemKey = JSON.stringify([task.owner, idempotency.key]);
      const held = this.idem.get(idemKey);
      if (held && held.expiresAtMs > now) {
        if (held.bodyHash !== idempotency.bodyHash) throw new IdempotencyKeyReusedError();
        const existing = this.tasks.get(held.taskId);
        if (!existing)
          throw new TaskStateConflictError('The task of this Idempotency-Key is gone.');
        return { created: false, task: structuredClone(existing) };
      }
    }
    if (this.tasks.has(task.taskId))
      throw new TaskStateConflictError(`Task ${task.taskId} already exists.`);
    const stored = structuredClone(task);
    if (idempotency) stored.idempotencyKey = idempotency.key;
    this.tasks.set(task.taskId, stored);
    if (isTerminal(stored.status))
      this.expiries.set(task.taskId, retentionExpiry(now, this.retentionDays));
    if (idemKey && idempotency)
      this.idem.set(idemKey, {
        taskId: task.taskId,
        bodyHash: idempotency.bodyHash,
        expiresAtMs: now + IDEMPOTENCY_TTL_SECONDS * 1000,
      });
    return { created: true, task: structuredClone(stored) };
  }

  async get(taskId: string): Promise<Task | undefined> {
    this.enter('get');
    const t = this.tasks.get(taskId);
    return t && structuredClone(t);
  }

  async update(
    taskId: string,
    expect: WriteExpectation,
    changes: TaskChanges,
    remove: readonly RemovableField[] = [],
  ): Promise<Task> {
    this.enter('update');
    checkUpdate(expect, changes, remove);
    const current = this.tasks.get(taskId);
    if (!current) throw new TaskNotFoundError(taskId);
    const statusOk = expectedStatuses(expect).includes(current.status);
    const versionOk = expect.version === undefined || expect.version === current.version;
    if (!statusOk || !versionOk)
      throw new TaskStateConflictError(
        `Task ${taskId} is ${current.status} at version ${current.version}.`,
        { details: { status: current.status, version: current.version } },
      );
    const next: Task = structuredClone(current);
    for (const [k, v] of Object.entries(structuredClone(changes)))
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    for (const f of remove) delete next[f];
    next.version = current.version + 1;
    next.updatedAt = changes.updatedAt ?? new Date(this.clock.now()).toISOString();
    if (changes.status === 'queued' && changes.queuedAt === undefined)
      next.queuedAt = next.updatedAt;
    this.tasks.set(taskId, next);
    if (becomesTerminal(changes.status) && !isTerminal(current.status))
      this.expiries.set(taskId, retentionExpiry(this.clock.now(), this.retentionDays));
    return structuredClone(next);
  }

  /** WebhookDeliveryLog: keeps the delivery on the task without changing its version. */
  async recordDelivery(taskId: string, delivery: WebhookDelivery): Promise<void> {
    const t = this.tasks.get(taskId);
    if (!t?.webhook) return;
    t.deliveries = { ...t.deliveries, [delivery.event]: structuredClone(delivery) };
  }

  /** ProgressLog: progress and progressSeq, without a version bump, while at ComfyUI. */
  async recordProgress(taskId: string, progress: TaskProgress): Promise<Task | undefined> {
    const t = this.tasks.get(taskId);
    if (!t || !AT_COMFY_STATUSES.has(t.status)) return undefined;
    t.progress = structuredClone(progress);
    t.progressSeq = (t.progressSeq ?? 0) + 1;
    return structuredClone(t);
  }

  async listByOwner(query: ListQuery): Promise<ListPage> {
    this.enter('listByOwner');
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000)
      throw new InvalidRequestError('limit must be an integer from 1 to 1000.');
    const after = query.cursor
      ? createdSortKey(decodeListCursor(query.cursor, query.owner, query.status))
      : undefined;
    const mine = [...this.tasks.values()]
      .filter((t) => t.owner === query.owner && (!query.status || t.status === query.status))
      .map((t) => ({ t, k: createdSortKey(t) }))
      .sort((a, b) => (a.k < b.k ? 1 : a.k > b.k ? -1 : 0))
      .filter(({ k }) => after === undefined || k < after);
    const page = mine.slice(0, query.limit).map(({ t }) => t);
    const last = page.at(-1);
    return {
      items: page.map(summary),
      ...(mine.length > query.limit && last
        ? { nextCursor: encodeListCursor(query.owner, query.status, last) }
        : {}),
    };
  }

  async countActive(owner: string, atMost: number): Promise<number> {
    this.enter('countActive');
    let n = 0;
    for (const t of this.tasks.values()) if (t.owner === owner && !isTerminal(t.status)) n++;
    return Math.min(n, atMost);
  }

  async listQueuedBefore(before: string, limit: number): Promise<QueuedEntry[]> {
    this.enter('listQueuedBefore');
    return [...this.tasks.values()]
      .filter((t) => t.status === 'queued' && t.queuedAt !== undefined && t.queuedAt <= before)
      .map((t) => ({ taskId: t.taskId, queuedAt: t.queuedAt as string }))
      .sort((a, b) => (a.queuedAt < b.queuedAt ? -1 : a.queuedAt > b.queuedAt ? 1 : 0))
      .slice(0, limit);
  }

  async listAtComfy(): Promise<TaskSummary[]> {
    this.enter('listAtComfy');
    return [...this.tasks.values()]
      .filter((t) => AT_COMFY_STATUSES.has(t.status))
      .sort((a, b) => (createdSortKey(a) < createdSortKey(b) ? -1 : 1))
      .map(summary);
  }
}
