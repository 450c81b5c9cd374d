/**
 * The two endings the dispatcher writes besides `dispatched`: a queued task failing for good, and a
 * run cancelled at ComfyUI. Shared by the dispatch and dead-letter use-cases.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ComfyUnavailableError, TaskStateConflictError } from '../domain/errors.js';
import { assertTransition, type TaskError } from '../domain/task.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { ComfyClient } from '../ports/comfy-client.js';
import type { TaskRepository } from '../ports/task-repository.js';

/** The logging a use-case needs: a Powertools child logger that carries the task id. */
export type DispatchLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * queued -> failed with `error`, conditional on queued. A task that moved on meanwhile (cancelled,
 * or reached ComfyUI) is left alone: `dropped`.
 */
export async function failQueuedTask(
  deps: { tasks: Pick<TaskRepository, 'update'>; clock: Clock },
  taskId: string,
  log: DispatchLog,
  error: TaskError,
): Promise<{ kind: 'failed'; code: string } | { kind: 'dropped'; reason: string }> {
  assertTransition('queued', 'failed');
  try {
    await deps.tasks.update(
      taskId,
      { status: 'queued' },
      { status: 'failed', finishedAt: isoAt(deps.clock), error },
    );
  } catch (err) {
    if (!(err instanceof TaskStateConflictError)) throw err;
    log.info('task no longer queued, failure not recorded', { code: error.code });
    return { kind: 'dropped', reason: 'task is no longer queued' };
  }
  log.warn('task failed at dispatch', {
    code: error.code,
    reason: error.message,
    nodeId: error.nodeId,
    nodeType: error.nodeType,
  });
  return { kind: 'failed', code: error.code };
}

/**
 * Cancel one prompt at one server. True when ComfyUI confirmed the request; false when it could not
 * be reached (logged; the caller decides who tries again).
 */
export async function cancelAtComfy(
  client: ComfyClient,
  promptId: string,
  log: DispatchLog,
): Promise<boolean> {
  try {
    await client.cancel(promptId);
    log.info('run cancelled at comfyui', { server: client.baseUrl });
    return true;
  } catch (err) {
    if (!(err instanceof ComfyUnavailableError)) throw err;
    log.warn('could not cancel the run at comfyui', {
      server: client.baseUrl,
      reason: err.message,
    });
    return false;
  }
}
