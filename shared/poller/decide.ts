/**
 * What the poller should do with one task, given where ComfyUI has it. Pure: no I/O, no clock, so
 * every rule of the state machine can be tested directly. `poll-tasks.ts` carries the decision out.
 */
import type { TaskError } from '../domain/task.js';
import type { ComfyRun } from '../ports/comfy-client.js';
import type { RemovableField, TaskChanges, TaskSummary } from '../ports/task-repository.js';
import { executionFailure, FAILURE_CODES, interruptedFailure } from './failures.js';

/** Where ComfyUI has the task, from one `/queue` read and (if absent there) `/history/{id}`. */
export type Observation =
  | { at: 'pending'; position: number }
  | { at: 'running' }
  | { at: 'finished'; run: ComfyRun }
  | { at: 'absent' }
  /** The server's `/queue` did not answer. */
  | { at: 'unreachable' };

export interface PollSettings {
  /** Times a lost task is sent back to SQS before it fails with COMFYUI_LOST_TASK. */
  maxRequeues: number;
  runTimeoutMs: number;
  queueTimeoutMs: number;
  /** Consecutive polls without queue or history entry before a task counts as lost. */
  lostAfterPolls: number;
  /** No task counts as missing sooner than this after its dispatch (lets a slow POST /prompt land). */
  lostGraceMs: number;
  /** Bounds on copying a finished run's outputs: then the task fails with OUTPUT_COPY_FAILED. */
  copy: CopyBounds;
  /** Most output files a task keeps; a run with more fails OUTPUT_LIMIT_EXCEEDED. */
  maxOutputs: number;
}

export interface CopyBounds {
  maxAttempts: number;
  maxMs: number;
  /** Wait after the n-th failed attempt: retryBaseMs * 2^(n-1), at most a minute. */
  retryBaseMs: number;
}

/** When the copy of a task whose earlier copies failed may be tried again. */
export function nextCopyAt(task: TaskSummary, bounds: CopyBounds): number {
  const f = task.copyFailures;
  if (!f) return 0;
  const wait = Math.min(60_000, bounds.retryBaseMs * 2 ** Math.max(0, f.attempts - 1));
  return Date.parse(f.lastAt) + wait;
}

export type Decision =
  /** Nothing to write (`unreachable`: because ComfyUI did not answer). */
  | { do: 'nothing'; unreachable?: true }
  /** Record what we saw (position, running + startedAt, missing counter reset). */
  | { do: 'track'; changes: TaskChanges; remove: RemovableField[] }
  /** A cancel was requested and ComfyUI still holds the task: dequeue or interrupt it. */
  | { do: 'cancel'; track?: { changes: TaskChanges; remove: RemovableField[] } }
  /** Held too long: dequeue or interrupt, then fail. */
  | { do: 'timeout'; error: TaskError }
  /**
   * Finished successfully: copy outputs, then succeed. `recorded`: ComfyUI no longer knows the run;
   * its outputs come from the list recorded when an earlier copy failed.
   */
  | { do: 'complete'; run: ComfyRun; recorded?: true }
  /** Finished with an error or interrupted: fail or cancel, then drop the history entry. */
  | { do: 'end'; status: 'failed' | 'cancelled'; error?: TaskError; run: ComfyRun }
  /** Gone after a cancel request (dequeued, or lost): the cancel is done. */
  | { do: 'cancelled' }
  /** Not seen this poll; not yet long enough to call it lost. */
  | { do: 'missing'; missingPolls: number }
  /** Lost: back to SQS for another dispatch. */
  | { do: 'requeue' }
  /** Lost once too often, or held by a server that has not answered for too long. */
  | { do: 'fail'; error: TaskError };

const msSince = (now: number, iso: string | undefined) =>
  iso === undefined ? 0 : now - Date.parse(iso);

function seen(task: TaskSummary, changes: TaskChanges, remove: RemovableField[]) {
  if (task.missingPolls > 0) changes.missingPolls = 0;
  return Object.keys(changes).length + remove.length > 0 ? { changes, remove } : undefined;
}

function onPending(task: TaskSummary, position: number, now: number, s: PollSettings): Decision {
  if (task.cancelRequested) return { do: 'cancel' };
  if (msSince(now, task.dispatchedAt ?? task.createdAt) > s.queueTimeoutMs) {
    return {
      do: 'timeout',
      error: {
        code: FAILURE_CODES.queueTimeout,
        message: `Waited in ComfyUI's queue longer than ${Math.round(s.queueTimeoutMs / 1000)} s.`,
      },
    };
  }
  const track = seen(task, task.queuePosition === position ? {} : { queuePosition: position }, []);
  return track ? { do: 'track', ...track } : { do: 'nothing' };
}

function onRunning(task: TaskSummary, now: number, s: PollSettings): Decision {
  const startRunning =
    task.status === 'dispatched'
      ? seen(task, { status: 'running', startedAt: new Date(now).toISOString() }, ['queuePosition'])
      : seen(task, {}, []);
  if (task.cancelRequested)
    return startRunning ? { do: 'cancel', track: startRunning } : { do: 'cancel' };
  if (
    task.status === 'running' &&
    msSince(now, task.startedAt ?? task.dispatchedAt) > s.runTimeoutMs
  ) {
    return {
      do: 'timeout',
      error: {
        code: FAILURE_CODES.runTimeout,
        message: `Ran longer than ${Math.round(s.runTimeoutMs / 1000)} s and was interrupted.`,
      },
    };
  }
  return startRunning ? { do: 'track', ...startRunning } : { do: 'nothing' };
}

function onFinished(task: TaskSummary, run: ComfyRun): Decision {
  const { outcome } = run;
  // A run that succeeded before our cancel reached it keeps its result: the work is done and paid for.
  if (outcome.kind === 'success') return { do: 'complete', run };
  if (outcome.kind === 'error')
    return { do: 'end', status: 'failed', error: executionFailure(outcome), run };
  return task.cancelRequested
    ? { do: 'end', status: 'cancelled', run }
    : { do: 'end', status: 'failed', error: interruptedFailure(outcome), run };
}

function onAbsent(task: TaskSummary, now: number, s: PollSettings): Decision {
  // The run finished and its outputs are known (an earlier copy failed): ComfyUI forgetting it is
  // no loss, the copy goes on from the recorded list (like a finished run, even after a cancel).
  const recorded = task.copyFailures?.outputs;
  if (recorded) {
    const run: ComfyRun = {
      promptId: task.taskId,
      outcome: { kind: 'success' },
      outputs: recorded,
      cachedNodes: [],
    };
    return { do: 'complete', run, recorded: true };
  }
  if (task.cancelRequested) return { do: 'cancelled' };
  if (msSince(now, task.dispatchedAt ?? task.updatedAt) < s.lostGraceMs) return { do: 'nothing' };
  const missingPolls = task.missingPolls + 1;
  if (missingPolls < s.lostAfterPolls) return { do: 'missing', missingPolls };
  if (task.requeues < s.maxRequeues) return { do: 'requeue' };
  return {
    do: 'fail',
    error: {
      code: FAILURE_CODES.lost,
      message: `ComfyUI lost the task ${task.requeues + 1} time(s) (restart or eviction); giving up.`,
    },
  };
}

/**
 * A server that does not answer changes nothing for its tasks (a restart or a network blip is not a
 * loss), unless a task has been there longer than it could legitimately take (queue timeout plus run
 * timeout since its dispatch): then it fails, so a server that never comes back (an instance replaced
 * under a new address) cannot hold tasks, and the owner's active-task quota, forever.
 */
function onUnreachable(task: TaskSummary, now: number, s: PollSettings): Decision {
  const limitMs = s.queueTimeoutMs + s.runTimeoutMs;
  if (msSince(now, task.dispatchedAt ?? task.updatedAt) <= limitMs) {
    return { do: 'nothing', unreachable: true };
  }
  return {
    do: 'fail',
    error: {
      code: FAILURE_CODES.unavailable,
      message: `ComfyUI did not answer, and the task has been there over ${Math.round(limitMs / 1000)} s.`,
    },
  };
}

export function decide(
  task: TaskSummary,
  seenAt: Observation,
  now: number,
  s: PollSettings,
): Decision {
  switch (seenAt.at) {
    case 'pending':
      return onPending(task, seenAt.position, now, s);
    case 'running':
      return onRunning(task, now, s);
    case 'finished':
      return onFinished(task, seenAt.run);
    case 'absent':
      return onAbsent(task, now, s);
    case 'unreachable':
      return onUnreachable(task, now, s);
  }
}
