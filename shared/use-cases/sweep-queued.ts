/**
 * The sweeper for `queued` tasks whose dispatch message is gone: lost with a local runtime killed
 * mid-run, or never sent by a submit that died between storing the task and sending its message.
 * Nothing else would ever end such a task: the poller looks only at tasks at ComfyUI, and the queue
 * timeout is checked only when a message is delivered.
 *
 * It reads the sparse `queuedSince` index for tasks queued longer than `graceMs` without a sign of
 * life (a task waiting for room or for a GPU to start is looked at by the dispatcher now and then,
 * which moves its `queuedAt` on), so one sweep costs one request when there are none. Each one is
 * re-read, then:
 * - waited past the queue timeout since it was created: `failed QUEUE_TIMEOUT`;
 * - re-sent `maxResends` times already: `failed DISPATCH_LOST`;
 * - else its message is sent again, after a write (conditional on the version read) that records the
 *   re-send and moves `queuedAt` on, so two sweepers never both send and the next sweep waits a grace
 *   period again. The dispatcher tolerates the duplicate should the old message still be alive.
 * A message SQS refuses for good (not a transient failure) ends the task `failed ENQUEUE_FAILED`.
 */
import { DomainError, TaskStateConflictError } from '../domain/errors.js';
import type { Task, TaskError } from '../domain/task.js';
import { logger, taskLogger } from '../observability.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { failQueuedTask } from './dispatch-outcomes.js';

export interface SweepQueuedSettings {
  /** A queued task is swept only after waiting this long without a sign of life. */
  graceMs: number;
  /** A task queued longer than this since it was created fails QUEUE_TIMEOUT. */
  queueTimeoutMs: number;
  /** Re-sends before a task fails DISPATCH_LOST. */
  maxResends: number;
  /** Most tasks handled by one sweep (the rest wait for the next). */
  batch: number;
}

export interface SweepQueuedDeps {
  tasks: Pick<TaskRepository, 'get' | 'update' | 'listQueuedBefore'>;
  queue: Pick<TaskQueue, 'send'>;
  clock: Clock;
  settings: SweepQueuedSettings;
}

const SWEEP_CODES = {
  /** The dispatch message was lost more often than QUEUED_SWEEP_MAX_RESENDS re-sends allow. */
  lost: 'DISPATCH_LOST',
  /** Waited in `queued` longer than QUEUE_TIMEOUT_SECONDS since it was created. */
  queueTimeout: 'QUEUE_TIMEOUT',
  /** SQS refused the re-sent message for a reason that will not pass. */
  enqueueFailed: 'ENQUEUE_FAILED',
} as const;

type SweepOutcome = 'resent' | 'failed' | 'skipped' | 'error';

export interface SweepReport {
  /** Candidates the index returned. */
  candidates: number;
  resent: number;
  failed: number;
  /** Candidates that were no longer queued, or not overdue any more, when re-read. */
  skipped: number;
  errors: number;
}

export async function sweepQueued(deps: SweepQueuedDeps): Promise<SweepReport> {
  const { settings, clock } = deps;
  const cutoff = new Date(clock.now() - settings.graceMs).toISOString();
  const candidates = await deps.tasks.listQueuedBefore(cutoff, settings.batch);
  const report: SweepReport = {
    candidates: candidates.length,
    resent: 0,
    failed: 0,
    skipped: 0,
    errors: 0,
  };
  for (const c of candidates) {
    const outcome = await sweepOne(deps, c.taskId, cutoff);
    if (outcome === 'resent') report.resent++;
    else if (outcome === 'failed') report.failed++;
    else if (outcome === 'skipped') report.skipped++;
    else report.errors++;
  }
  if (candidates.length > 0) logger.info('queued tasks swept', { ...report });
  return report;
}

async function sweepOne(deps: SweepQueuedDeps, taskId: string, cutoff: string) {
  const log = taskLogger(taskId);
  try {
    const task = await deps.tasks.get(taskId);
    if (task?.status !== 'queued' || (task.queuedAt ?? task.createdAt) > cutoff) return 'skipped';
    const now = deps.clock.now();
    const { settings } = deps;
    if (now - Date.parse(task.createdAt) > settings.queueTimeoutMs) {
      return end(deps, task, log, {
        code: SWEEP_CODES.queueTimeout,
        message: `The task waited in the queue longer than ${Math.round(settings.queueTimeoutMs / 1000)} s.`,
      });
    }
    const resends = task.resends ?? 0;
    if (resends >= settings.maxResends) {
      return end(deps, task, log, {
        code: SWEEP_CODES.lost,
        message: `The task's dispatch message was lost ${resends + 1} time(s); giving up.`,
      });
    }
    await deps.tasks.update(
      taskId,
      { status: 'queued', version: task.version },
      { queuedAt: isoAt(deps.clock), resends: resends + 1 },
      ['enqueuePending'],
    );
    try {
      await deps.queue.send({ taskId });
    } catch (err) {
      const permanent = err instanceof DomainError ? !err.retryable : true;
      if (!permanent) throw err;
      return end(deps, task, log, {
        code: SWEEP_CODES.enqueueFailed,
        message: 'The task could not be queued again; submit it again.',
        details: { error: err instanceof Error ? err.message : String(err) },
      });
    }
    log.warn('queued task without a live message; dispatch message sent again', {
      resends: resends + 1,
      queuedAt: task.queuedAt,
    });
    return 'resent';
  } catch (err) {
    if (err instanceof TaskStateConflictError) return 'skipped';
    log.warn('sweeping a queued task failed; the next sweep retries', { error: String(err) });
    return 'error';
  }
}

async function end(
  deps: SweepQueuedDeps,
  task: Task,
  log: ReturnType<typeof taskLogger>,
  error: TaskError,
): Promise<SweepOutcome> {
  const out = await failQueuedTask(deps, task.taskId, log, error);
  return out.kind === 'failed' ? 'failed' : 'skipped';
}

/**
 * sweepQueued at most once per `everyMs` in this container, whatever calls it how often (the poller
 * calls it after every poll; locally the poller is re-run every second). Never throws.
 */
export function createQueuedSweeper(
  deps: SweepQueuedDeps,
  everyMs: number,
): () => Promise<SweepReport | undefined> {
  let lastAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = deps.clock.now();
    if (now - lastAt < everyMs) return undefined;
    lastAt = now;
    try {
      return await sweepQueued(deps);
    } catch (err) {
      logger.warn('sweep of queued tasks failed; the next one retries', { error: String(err) });
      return undefined;
    }
  };
}
