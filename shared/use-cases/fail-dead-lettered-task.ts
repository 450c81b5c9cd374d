/**
 * The end of the retry road: a dispatch message that SQS moved to the dead-letter queue after its
 * last failed attempt (ComfyUI unreachable throughout). The task fails with COMFYUI_UNAVAILABLE so
 * no one waits forever, unless it moved on meanwhile (cancelled, or it reached ComfyUI on an attempt
 * whose acknowledgement was lost): the write is conditional on `queued`, so such a task is left alone.
 */

import { TaskNotFoundError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { DispatchMessage } from '../ports/task-queue.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { type DispatchLog, failQueuedTask } from './dispatch-outcomes.js';

export type DeadLetterOutcome =
  | { kind: 'failed'; code: string }
  | { kind: 'dropped'; reason: string };

export async function failDeadLetteredTask(
  deps: { tasks: Pick<TaskRepository, 'update'>; clock: Clock },
  message: DispatchMessage,
  ctx: { receiveCount?: number; log: DispatchLog },
): Promise<DeadLetterOutcome> {
  try {
    return await failQueuedTask(deps, message.taskId, ctx.log, {
      code: 'COMFYUI_UNAVAILABLE',
      message:
        'ComfyUI could not be reached on any attempt to dispatch the task, so it was given up. Submit it again later.',
    });
  } catch (err) {
    if (!(err instanceof TaskNotFoundError)) throw err;
    ctx.log.info('dead-lettered message of an unknown task dropped');
    return { kind: 'dropped', reason: 'task is unknown' };
  }
}
