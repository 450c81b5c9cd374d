/**
 * One poll: every task ComfyUI holds (from the sparse `atComfy` index, so the cost grows with active
 * tasks only), grouped by ComfyUI server; per server ONE `/queue` read, then `/history/{id}` only for
 * the tasks no longer queued. Each task is then carried one step along the state machine by a
 * conditional write (see decide.ts for the rules, docs/adr/002-poller.md for why). One task's
 * failure never stops the others, and a server that does not answer changes nothing for its tasks.
 */
import {
  ComfyUnavailableError,
  PayloadTooLargeError,
  TaskStateConflictError,
} from '../domain/errors.js';
import { assertTransition, CANCELLED_ERROR, isTerminal } from '../domain/task.js';
import type { Limiter } from '../limiter.js';
import { logger, taskLogger } from '../observability.js';
import { copyOutputs } from '../poller/copy-outputs.js';
import {
  type Decision,
  decide,
  nextCopyAt,
  type Observation,
  type PollSettings,
} from '../poller/decide.js';
import { FAILURE_CODES, OutputCopyError, OutputMissingError } from '../poller/failures.js';
import { removeTaskFiles } from '../poller/remove-task-files.js';
import type { PollReport, TaskReport } from '../poller/report.js';
import { sweepOutputs } from '../poller/sweep-outputs.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { Clock } from '../ports/clock.js';
import type { ComfyClient, ComfyRun, QueueSnapshot } from '../ports/comfy-client.js';
import type { ImageConverter } from '../ports/image-converter.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type {
  RemovableField,
  TaskChanges,
  TaskRepository,
  TaskSummary,
} from '../ports/task-repository.js';

export interface PollTasksDeps {
  tasks: TaskRepository;
  queue: TaskQueue;
  artifacts: ArtifactStore;
  /** The client for a task's `comfyServer` base URL. */
  comfyFor(baseUrl: string): ComfyClient;
  /**
   * With a GPU fleet: whether the registry says this server is gone (terminated, taken away). Its
   * tasks are then lost, not waited for: they go back to the queue by the lost-task path.
   * @default none: a server that does not answer may come back, its tasks are left as they are
   */
  serverGone?: (baseUrl: string) => Promise<boolean>;
  clock: Clock;
  /** Bounds concurrent output copies across the whole poll. */
  limiter: Limiter;
  /** Re-encodes still images for tasks that ask for an output format. */
  converter?: ImageConverter;
  settings: PollSettings;
}

export interface PollOptions {
  /** When the previous poll (this invocation's or an earlier one's) looked at the tasks. */
  previousPollAt?: number;
}

/**
 * A re-queued task's SQS message is sent before its status goes back to `queued`, delayed so the
 * status write lands first. Sending first means a crash in between leaves a task that the next
 * poll re-queues again (still lost), never a `queued` task without a message.
 */
export const REQUEUE_DELAY_SECONDS = 1;

type Log = ReturnType<typeof taskLogger>;
type Step = Omit<TaskReport, 'taskId' | 'server'>;

interface TaskContext {
  deps: PollTasksDeps;
  comfy: ComfyClient | undefined;
  task: TaskSummary;
  log: Log;
}

const iso = (ms: number) => new Date(ms).toISOString();
const msOf = (s: string | undefined) => (s === undefined ? undefined : Date.parse(s));
const positive = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? undefined : Math.max(0, n);

function write(ctx: TaskContext, changes: TaskChanges, remove: RemovableField[] = []) {
  const { task, deps } = ctx;
  if (changes.status && changes.status !== task.status)
    assertTransition(task.status, changes.status);
  return deps.tasks.update(
    task.taskId,
    { status: task.status, version: task.version },
    changes,
    remove,
  );
}

/** The task has ended: its history entry and its files at ComfyUI go (see remove-task-files.ts). */
async function dropHistory(ctx: TaskContext, run?: Pick<ComfyRun, 'outputs'>) {
  try {
    await ctx.comfy?.deleteHistory([ctx.task.taskId]);
  } catch (err) {
    ctx.log.warn('history entry not deleted', { error: String(err) });
  }
  await removeFiles(ctx, run);
}

/**
 * The task has ended without a history entry to drop (timed out, cancelled or lost): its folders at
 * ComfyUI (staged inputs, partial outputs) go, and the run's own files when known.
 */
async function removeFiles(ctx: TaskContext, run?: Pick<ComfyRun, 'outputs'>) {
  if (ctx.comfy) await removeTaskFiles(ctx.comfy, ctx.task.taskId, run, ctx.log);
}

async function observe(
  comfy: ComfyClient | undefined,
  task: TaskSummary,
  q: QueueSnapshot | 'unreachable' | undefined,
): Promise<Observation> {
  if (q === 'unreachable') return { at: 'unreachable' };
  if (!comfy || !q) return { at: 'absent' };
  if (q.running.some((e) => e.promptId === task.taskId)) return { at: 'running' };
  const position = q.pending.findIndex((e) => e.promptId === task.taskId);
  if (position >= 0) return { at: 'pending', position };
  const run = await comfy.getHistory(task.taskId);
  return run ? { at: 'finished', run } : { at: 'absent' };
}

type CopyFailures = NonNullable<TaskSummary['copyFailures']>;

/**
 * A copy of the outputs failed: recorded with the attempt count, the run's output list and the
 * error (the next attempt waits a backoff, and copies from that list even if ComfyUI forgets the
 * run meanwhile), and once the attempts or the time are used up the task fails with
 * OUTPUT_COPY_FAILED naming the output and the S3 error. Nothing of the copy is listed; pollTask
 * removes what was stored.
 */
async function copyFailed(
  ctx: TaskContext,
  err: OutputCopyError,
  run: Pick<ComfyRun, 'outputs'>,
): Promise<Step> {
  const { deps, task, log } = ctx;
  const now = deps.clock.now();
  const bounds = deps.settings.copy;
  const before = task.copyFailures;
  const s3ErrorCode = err.storeCode;
  const failures: CopyFailures = {
    attempts: (before?.attempts ?? 0) + 1,
    firstAt: before?.firstAt ?? iso(now),
    lastAt: iso(now),
    outputs: run.outputs,
    last: { output: err.output, ...(s3ErrorCode ? { s3ErrorCode } : {}), message: err.message },
  };
  const elapsedMs = now - Date.parse(failures.firstAt);
  if (failures.attempts < bounds.maxAttempts && elapsedMs < bounds.maxMs) {
    try {
      await write(ctx, { copyFailures: failures });
    } catch (writeErr) {
      if (!(writeErr instanceof PayloadTooLargeError)) throw writeErr;
      // The list does not fit in the task's item: the attempts are still counted, without it.
      const { outputs: _tooLarge, ...counted } = failures;
      await write(ctx, { copyFailures: counted });
    }
    log.warn('output copy failed; retried after a backoff', {
      attempts: failures.attempts,
      output: err.output,
      s3ErrorCode,
      error: err.message,
    });
    return { outcome: 'error', code: s3ErrorCode ?? err.code };
  }
  await failCopy(ctx, failures, run);
  return { outcome: 'failed', code: FAILURE_CODES.copyFailed };
}

/**
 * The copy of a run that ComfyUI no longer knows (see `recorded` in decide.ts) cannot go on: its
 * server is gone or its files are. The task fails with OUTPUT_COPY_FAILED and the latest storage
 * error, which is why it was not copied in the first place, not as a lost task run again.
 */
async function copyLost(
  ctx: TaskContext,
  run: Pick<ComfyRun, 'outputs'>,
  comfyError: string,
): Promise<Step> {
  const failures = ctx.task.copyFailures ?? {
    attempts: 0,
    firstAt: iso(ctx.deps.clock.now()),
    lastAt: iso(ctx.deps.clock.now()),
  };
  await failCopy(ctx, failures, run, comfyError);
  return { outcome: 'failed', code: FAILURE_CODES.copyFailed };
}

async function failCopy(
  ctx: TaskContext,
  failures: CopyFailures,
  run: Pick<ComfyRun, 'outputs'>,
  comfyError?: string,
) {
  const { deps, log } = ctx;
  const now = deps.clock.now();
  const code = FAILURE_CODES.copyFailed;
  const { outputs: _list, last, ...counted } = failures;
  const elapsedMs = now - Date.parse(failures.firstAt);
  const cause = last?.message ?? 'no attempt recorded';
  await write(
    ctx,
    {
      status: 'failed',
      finishedAt: iso(now),
      copyFailures: counted,
      error: {
        code,
        message: `The outputs could not be copied to storage (${failures.attempts} attempt(s) over ${Math.round(elapsedMs / 1000)} s): ${cause}${comfyError ? `; ComfyUI no longer has them to copy again (${comfyError})` : ''}`,
        ...(last ? { nodeId: last.output.nodeId } : {}),
        details: {
          ...(last ? { output: last.output } : {}),
          ...(last?.s3ErrorCode ? { s3ErrorCode: last.s3ErrorCode } : {}),
          attempts: failures.attempts,
          ...(comfyError ? { comfyError } : {}),
        },
      },
    },
    ['queuePosition'],
  );
  log.error('task failed', {
    code,
    output: last?.output,
    s3ErrorCode: last?.s3ErrorCode,
    ...(comfyError ? { comfyError } : {}),
  });
  await dropHistory(ctx, run);
}

/**
 * A run with more outputs than a task keeps (MAX_OUTPUTS_PER_TASK), or whose output records do not
 * fit in its item: `failed OUTPUT_LIMIT_EXCEEDED`, with nothing listed (pollTask removes what was
 * stored).
 */
async function outputLimitExceeded(
  ctx: TaskContext,
  message: string,
  details: { outputs: number; limit: number },
  run: Pick<ComfyRun, 'outputs'>,
): Promise<Step> {
  const code = FAILURE_CODES.outputLimit;
  await write(
    ctx,
    { status: 'failed', finishedAt: iso(ctx.deps.clock.now()), error: { code, message, details } },
    ['queuePosition'],
  );
  ctx.log.warn('task failed', { code, ...details });
  await dropHistory(ctx, run);
  return { outcome: 'failed', code };
}

async function complete(ctx: TaskContext, d: Extract<Decision, { do: 'complete' }>): Promise<Step> {
  const { deps, task, comfy, log } = ctx;
  const copyStart = deps.clock.now();
  // ComfyUI forgot the run and its server is gone: nothing left to copy from.
  if (d.recorded && !comfy) return copyLost(ctx, d.run, 'the ComfyUI server is gone');
  if (copyStart < nextCopyAt(task, deps.settings.copy)) return { outcome: 'unchanged' };
  const limit = deps.settings.maxOutputs;
  if (d.run.outputs.length > limit) {
    return outputLimitExceeded(
      ctx,
      `The run made ${d.run.outputs.length} output files; a task keeps at most ${limit}.`,
      { outputs: d.run.outputs.length, limit },
      d.run,
    );
  }
  let outputs: Awaited<ReturnType<typeof copyOutputs>>;
  try {
    if (!comfy) throw new ComfyUnavailableError('No ComfyUI client for this task.');
    outputs = await copyOutputs(
      {
        comfy,
        artifacts: deps.artifacts,
        limiter: deps.limiter,
        ...(deps.converter ? { converter: deps.converter } : {}),
      },
      task,
      d.run,
    );
  } catch (err) {
    if (err instanceof OutputCopyError) return copyFailed(ctx, err, d.run);
    if (!(err instanceof OutputMissingError)) throw err;
    if (d.recorded) return copyLost(ctx, d.run, err.message);
    await write(
      ctx,
      {
        status: 'failed',
        finishedAt: iso(deps.clock.now()),
        error: { code: err.code, message: err.message, nodeId: err.nodeId },
      },
      ['queuePosition'],
    );
    log.warn('task failed', { code: err.code });
    await dropHistory(ctx, d.run);
    return { outcome: 'failed', code: err.code };
  }
  const copyTimeMs = deps.clock.now() - copyStart;
  const startedAt = task.startedAt ?? iso(d.run.startedAt ?? deps.clock.now());
  try {
    await write(
      ctx,
      {
        status: 'succeeded',
        outputs,
        startedAt,
        finishedAt: iso(deps.clock.now()),
        missingPolls: 0,
      },
      task.copyFailures ? ['queuePosition', 'copyFailures'] : ['queuePosition'],
    );
  } catch (err) {
    if (err instanceof PayloadTooLargeError) {
      // Their records (names, keys) would not fit in the task's item: refused, not retried forever.
      return outputLimitExceeded(
        ctx,
        `The run's ${outputs.length} output files (their names and keys) are too large to record with the task.`,
        { outputs: outputs.length, limit },
        d.run,
      );
    }
    // Another poller (or a cancel) ended the task while we copied: keep only what it recorded.
    if (err instanceof TaskStateConflictError) {
      const current = await deps.tasks.get(task.taskId);
      if (current && isTerminal(current.status)) {
        const kept = current.status === 'succeeded' ? current.outputs.map((o) => o.s3Key) : [];
        await sweepOutputs(deps.artifacts, task, kept, log);
      }
    }
    throw err;
  }
  const done = deps.clock.now();
  log.info('task succeeded', { outputs: outputs.length, copyTimeMs });
  if (task.requeues > 0) {
    await sweepOutputs(
      deps.artifacts,
      task,
      outputs.map((o) => o.s3Key),
      log,
    );
  }
  await dropHistory(ctx, d.run);
  return {
    outcome: 'succeeded',
    copyTimeMs,
    ...runTimes(task, d.run),
    ...(d.run.finishedAt !== undefined
      ? { resultLagMs: Math.max(0, done - d.run.finishedAt) }
      : {}),
  };
}

function runTimes(
  task: TaskSummary,
  run: { startedAt?: number; finishedAt?: number },
): Pick<Step, 'queueWaitMs' | 'runTimeMs'> {
  const started = run.startedAt ?? msOf(task.startedAt);
  const submitted = msOf(task.createdAt);
  const queueWaitMs =
    started !== undefined && submitted !== undefined ? positive(started - submitted) : undefined;
  const runTimeMs =
    run.startedAt !== undefined && run.finishedAt !== undefined
      ? positive(run.finishedAt - run.startedAt)
      : undefined;
  return {
    ...(queueWaitMs !== undefined ? { queueWaitMs } : {}),
    ...(runTimeMs !== undefined ? { runTimeMs } : {}),
  };
}

async function requeue(ctx: TaskContext): Promise<Step> {
  const { deps, task, log } = ctx;
  // The index may lag: claim this version with a conditional write (recording the missing poll)
  // before sending anything outside DynamoDB, so a stale snapshot sends no message.
  const claimed = await write(ctx, { missingPolls: task.missingPolls + 1 });
  await deps.queue.send({ taskId: task.taskId }, REQUEUE_DELAY_SECONDS);
  assertTransition(task.status, 'queued');
  await deps.tasks.update(
    task.taskId,
    { status: task.status, version: claimed.version },
    { status: 'queued', requeues: task.requeues + 1, missingPolls: 0 },
    task.copyFailures
      ? ['comfyServer', 'comfyNumber', 'queuePosition', 'startedAt', 'dispatchedAt', 'copyFailures']
      : ['comfyServer', 'comfyNumber', 'queuePosition', 'startedAt', 'dispatchedAt'],
  );
  log.warn('task lost by ComfyUI, re-queued', { requeues: task.requeues + 1 });
  return { outcome: 'requeued' };
}

async function carryOut(ctx: TaskContext, d: Decision): Promise<Step> {
  const { deps, task, comfy, log } = ctx;
  const now = deps.clock.now();
  switch (d.do) {
    case 'nothing':
      return { outcome: d.unreachable ? 'unreachable' : 'unchanged' };
    case 'track':
      await write(ctx, d.changes, d.remove);
      if (d.changes.status === 'running') log.info('task running');
      return { outcome: 'tracked' };
    case 'cancel':
      await comfy?.cancel(task.taskId);
      if (d.track) await write(ctx, d.track.changes, d.track.remove);
      log.info('cancel sent to ComfyUI');
      return { outcome: 'cancel-sent' };
    case 'timeout':
      await comfy?.cancel(task.taskId);
      await write(ctx, { status: 'failed', error: d.error, finishedAt: iso(now) }, [
        'queuePosition',
      ]);
      log.warn('task failed', { code: d.error.code });
      await removeFiles(ctx);
      return { outcome: 'failed', code: d.error.code };
    case 'complete':
      return complete(ctx, d);
    case 'end': {
      const startedAt = task.startedAt ?? iso(d.run.startedAt ?? now);
      const changes: TaskChanges = {
        status: d.status,
        startedAt,
        finishedAt: iso(now),
        missingPolls: 0,
      };
      if (d.error) changes.error = d.error;
      else if (d.status === 'cancelled') changes.error = { ...CANCELLED_ERROR };
      await write(ctx, changes, ['queuePosition']);
      if (d.status === 'failed')
        log.warn('task failed', {
          code: d.error?.code,
          // The full message (tenants see it without host paths or file lists; task-view.ts).
          reason: d.error?.message,
          nodeId: d.error?.nodeId,
          nodeType: d.error?.nodeType,
        });
      else log.info('task cancelled');
      await dropHistory(ctx, d.run);
      return {
        ...runTimes(task, d.run),
        outcome: d.status,
        ...(d.error ? { code: d.error.code } : {}),
      };
    }
    case 'cancelled':
      await write(
        ctx,
        {
          status: 'cancelled',
          finishedAt: iso(now),
          missingPolls: 0,
          error: { ...CANCELLED_ERROR },
        },
        ['queuePosition'],
      );
      log.info('task cancelled');
      await removeFiles(ctx);
      return { outcome: 'cancelled' };
    case 'missing':
      await write(ctx, { missingPolls: d.missingPolls });
      log.info('task missing at ComfyUI', { missingPolls: d.missingPolls });
      return { outcome: 'missing' };
    case 'requeue':
      return requeue(ctx);
    case 'fail':
      await write(
        ctx,
        { status: 'failed', error: d.error, finishedAt: iso(now), missingPolls: 0 },
        ['queuePosition'],
      );
      log.error('task failed', { code: d.error.code, requeues: task.requeues });
      // A server that does not answer is not asked to remove anything (its timer does).
      if (d.error.code !== FAILURE_CODES.unavailable) await removeFiles(ctx);
      return { outcome: 'failed', code: d.error.code };
  }
}

async function pollTask(
  deps: PollTasksDeps,
  server: string,
  comfy: ComfyClient | undefined,
  snapshot: QueueSnapshot | 'unreachable' | undefined,
  task: TaskSummary,
  opts: PollOptions,
): Promise<TaskReport> {
  const log = taskLogger(task.taskId, { comfyServer: server });
  const now = deps.clock.now();
  const lastLook = Math.max(
    opts.previousPollAt ?? 0,
    msOf(task.dispatchedAt) ?? msOf(task.updatedAt) ?? 0,
  );
  const base = { taskId: task.taskId, server, staleMs: Math.max(0, now - lastLook) };
  try {
    const seenAt = await observe(comfy, task, snapshot);
    const step = await carryOut(
      { deps, comfy, task, log },
      decide(task, seenAt, now, deps.settings),
    );
    // A re-queued task keeps no outputs, nor does one that ended without success (a copy may have
    // been under way when it was cancelled or failed).
    if (step.outcome === 'requeued' || step.outcome === 'failed' || step.outcome === 'cancelled') {
      await sweepOutputs(deps.artifacts, task, [], log);
    }
    return { ...base, ...step };
  } catch (err) {
    if (err instanceof TaskStateConflictError) {
      log.info('task changed meanwhile; next poll retries', { error: err.message });
      return { ...base, outcome: 'conflict' };
    }
    if (err instanceof ComfyUnavailableError) {
      log.warn('ComfyUI unavailable for task', { error: err.message });
      return { ...base, outcome: 'unreachable', code: err.code };
    }
    const code = (err as { code?: unknown }).code;
    log.error('task poll failed; next poll retries', {
      error: err instanceof Error ? err.message : String(err),
      code,
    });
    return { ...base, outcome: 'error', code: typeof code === 'string' ? code : 'INTERNAL' };
  }
}

async function pollServer(
  deps: PollTasksDeps,
  server: string,
  tasks: TaskSummary[],
  opts: PollOptions,
) {
  // A task without a server, or on a server the fleet has lost, is one ComfyUI cannot have: it is
  // treated as absent (and so, lost).
  const gone = server !== '' && deps.serverGone ? await deps.serverGone(server) : false;
  if (gone) logger.warn('ComfyUI server is gone; its tasks count as lost', { comfyServer: server });
  const comfy = server === '' || gone ? undefined : deps.comfyFor(server);
  let snapshot: QueueSnapshot | 'unreachable' | undefined;
  if (comfy) {
    try {
      snapshot = await comfy.getQueue();
    } catch (err) {
      logger.warn('ComfyUI queue unreadable; its tasks are left as they are', {
        comfyServer: server,
        error: String(err),
        tasks: tasks.length,
      });
      snapshot = 'unreachable';
    }
  }
  const settled = await Promise.allSettled(
    tasks.map((t) => pollTask(deps, server, comfy, snapshot, t, opts)),
  );
  const reports = settled.map(
    (r, i): TaskReport =>
      r.status === 'fulfilled'
        ? r.value
        : { taskId: tasks[i]?.taskId ?? '', server, outcome: 'error', code: 'INTERNAL' },
  );
  return { reachable: snapshot !== 'unreachable', reports };
}

/** One poll over every task ComfyUI holds. Never throws for one task's or one server's failure. */
export async function pollTasks(deps: PollTasksDeps, opts: PollOptions = {}): Promise<PollReport> {
  const active = await deps.tasks.listAtComfy();
  const byServer = new Map<string, TaskSummary[]>();
  for (const t of active)
    byServer.set(t.comfyServer ?? '', [...(byServer.get(t.comfyServer ?? '') ?? []), t]);
  const results = await Promise.all(
    [...byServer].map(async ([url, tasks]) => ({
      url,
      ...(await pollServer(deps, url, tasks, opts)),
    })),
  );
  return {
    active: active.length,
    servers: results
      .filter((r) => r.url !== '')
      .map((r) => ({ url: r.url, reachable: r.reachable })),
    tasks: results.flatMap((r) => r.reports),
  };
}
