/**
 * POST /v1/tasks/{taskId}/cancel.
 * - `queued`: cancelled at once by a write conditional on `queued` (the dispatcher drops the message).
 * - `dispatched`/`running`: marked `cancelRequested`; the dispatcher or poller cancels it at ComfyUI.
 * - `cancelled`: nothing to do.
 * - `succeeded`/`failed`: TaskNotCancellableError.
 * A lost conditional write (the dispatcher moved the task meanwhile) re-reads and decides again.
 */
import { TaskNotCancellableError, TaskStateConflictError } from '../domain/errors.js';
import { assertTransition, CANCELLED_ERROR, type Task } from '../domain/task.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { getOwnTask } from './get-task.js';

export type CancelOutcome = 'cancelled' | 'cancel-requested' | 'already-cancelled';

export interface CancelTaskDeps {
  tasks: TaskRepository;
  clock: Clock;
}

const ATTEMPTS = 3;

export async function cancelTask(
  deps: CancelTaskDeps,
  owner: string,
  taskId: string,
): Promise<{ task: Task; outcome: CancelOutcome }> {
  for (let attempt = 1; ; attempt++) {
    const task = await getOwnTask(deps.tasks, owner, taskId);
    try {
      return await decide(deps, task);
    } catch (err) {
      if (!(err instanceof TaskStateConflictError) || attempt >= ATTEMPTS) throw err;
    }
  }
}

async function decide(deps: CancelTaskDeps, task: Task) {
  const expect = { status: task.status, version: task.version };
  switch (task.status) {
    case 'queued': {
      assertTransition('queued', 'cancelled');
      const now = isoAt(deps.clock);
      const written = await deps.tasks.update(task.taskId, expect, {
        status: 'cancelled',
        finishedAt: now,
        error: { ...CANCELLED_ERROR },
      });
      return { task: written, outcome: 'cancelled' as const };
    }
    case 'dispatched':
    case 'running': {
      if (task.cancelRequested) return { task, outcome: 'cancel-requested' as const };
      const written = await deps.tasks.update(task.taskId, expect, { cancelRequested: true });
      return { task: written, outcome: 'cancel-requested' as const };
    }
    case 'cancelled':
      return { task, outcome: 'already-cancelled' as const };
    case 'succeeded':
    case 'failed':
      throw new TaskNotCancellableError(task.taskId, task.status);
  }
}
