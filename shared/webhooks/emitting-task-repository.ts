/**
 * A TaskRepository that raises webhook events: after a write that moved a task into a status its
 * webhook subscribes to (`task.running`, `task.succeeded`, `task.failed`, `task.cancelled`), it
 * sends the event to the webhook queue. Every part that changes a task (API, dispatcher, poller,
 * dead-letter handler) writes through it, so no status change is missed, whichever part makes it.
 *
 * The send follows the write: a send that still fails after its retries is logged and counted
 * (`WebhookEnqueueFailed`), and that one event is not delivered. A repeated write of the same
 * status sends the same event again with the same `webhook-id`; the sender delivers it once.
 */
import type { Task } from '../domain/task.js';
import { eventForStatus, subscribes, webhookIdFor } from '../domain/webhook.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type {
  RemovableField,
  TaskChanges,
  TaskRepository,
  WriteExpectation,
} from '../ports/task-repository.js';
import type { WebhookMessage, WebhookQueue } from '../ports/webhook-queue.js';

interface EmitterLog {
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface EmittingOptions {
  queue: WebhookQueue;
  clock: Clock;
  log?: EmitterLog;
  /** Called once per event that could not be queued. */
  onLost?: (message: WebhookMessage) => void;
  /** Extra tries of a failed send. @default 2 */
  retries?: number;
}

/** The event message a write that produced `task` raises, if any. */
function eventOf(task: Task, occurredAt: string): WebhookMessage | undefined {
  const event = eventForStatus(task.status);
  if (!event || !subscribes(task.webhook, event)) return undefined;
  return {
    taskId: task.taskId,
    event,
    webhookId: webhookIdFor(task.taskId, event, task.requeues),
    occurredAt,
  };
}

export function withWebhookEvents(repo: TaskRepository, o: EmittingOptions): TaskRepository {
  const send = async (message: WebhookMessage) => {
    const tries = 1 + (o.retries ?? 2);
    for (let i = 0; i < tries; i++) {
      try {
        await o.queue.send(message);
        return;
      } catch (err) {
        if (i === tries - 1) {
          o.log?.error('webhook event could not be queued', {
            taskId: message.taskId,
            event: message.event,
            error: (err as Error).message,
          });
          o.onLost?.(message);
        }
      }
    }
  };
  return {
    create: (task, idempotency) => repo.create(task, idempotency),
    get: (taskId) => repo.get(taskId),
    listByOwner: (q) => repo.listByOwner(q),
    countActive: (owner, atMost) => repo.countActive(owner, atMost),
    listAtComfy: () => repo.listAtComfy(),
    listQueuedBefore: (before, limit) => repo.listQueuedBefore(before, limit),
    async update(
      taskId: string,
      expect: WriteExpectation,
      changes: TaskChanges,
      remove?: readonly RemovableField[],
    ): Promise<Task> {
      const task = await repo.update(taskId, expect, changes, remove);
      const unchanged = typeof expect.status === 'string' && expect.status === changes.status;
      if (changes.status !== undefined && !unchanged) {
        const message = eventOf(task, changes.finishedAt ?? changes.startedAt ?? isoAt(o.clock));
        if (message) await send(message);
      }
      return task;
    },
  };
}
