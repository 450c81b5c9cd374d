/**
 * Dispatch one queued task to ComfyUI, safely when any step happens twice (SQS delivers at least
 * once, Lambdas die mid-call, ComfyUI restarts). The task id is ComfyUI's prompt_id, so "is it there
 * already?" is a question every server can answer: a task ComfyUI has is recorded, never resent.
 * Throws only for retryable failures (the caller lets SQS redeliver); every other end is an outcome.
 * See docs/adr/001-dispatch-semantics.md.
 */

import { type BackoffPolicy, deferralDelaySeconds } from '../dispatch/backoff.js';
import type { ComfySlots, Reservation } from '../dispatch/comfy-slots.js';
import { OWNER_TAG_KEY, ownerTag } from '../dispatch/owner-tag.js';
import { stageUploads } from '../dispatch/stage-uploads.js';
import { prefixOutputs } from '../dispatch/workflow.js';
import {
  ComfyRejectedError,
  ComfyUnavailableError,
  TaskStateConflictError,
  UploadNotFoundError,
} from '../domain/errors.js';
import {
  assertTransition,
  CANCELLED_ERROR,
  isTerminal,
  type Task,
  type TaskError,
} from '../domain/task.js';
import { removeTaskFiles } from '../poller/remove-task-files.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { ComfyClient, SubmittedPrompt } from '../ports/comfy-client.js';
import { type DispatchMessage, MAX_DELAY_SECONDS } from '../ports/task-queue.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { collectUploadRefs, replaceUploadRefs } from '../workflow/upload-refs.js';
import { cancelAtComfy, type DispatchLog, failQueuedTask } from './dispatch-outcomes.js';

export interface DispatchSettings {
  /** Sent as ComfyUI's client_id (scopes WebSocket events; avoids the cached-outputs regression). */
  clientId: string;
  /** Delay before a task that found every server full is looked at again. */
  defer: BackoffPolicy;
  /** Every this many deferrals the task is read: cancelled ones stop, overdue ones fail. */
  recheckEvery: number;
  /** A task still waiting for a free server this long after it was created fails QUEUE_TIMEOUT. */
  queueTimeoutSeconds: number;
  /**
   * How long a dispatcher's claim on a task holds while it submits it (longer than an invocation can
   * live, so only a claim whose holder died can expire under it).
   */
  claimSeconds: number;
  /**
   * A waiting task read at a recheck whose `queuedAt` is older than this gets it moved on, so the
   * sweeper of lost messages (which waits QUEUED_SWEEP_GRACE_SECONDS) leaves it alone.
   */
  queuedHeartbeatMs: number;
  /**
   * Servers come and go with the queue (a GPU fleet): when none is up, the task waits for one to
   * start — deferred as a fresh message, so waiting spends no receive count — and fails
   * NO_GPU_CAPACITY only after this long. Unset: a fixed list, where no answer is a retryable failure.
   */
  capacityWaitSeconds?: number;
  /** How long a task waiting for a GPU sleeps between looks. @default 10 */
  capacityPollSeconds?: number;
  /**
   * Fair use: most prompts of one owner at ComfyUI at once (all servers); a task of an owner at the
   * cap is deferred like one that found every server full. Unset: no cap.
   */
  maxAtComfyPerOwner?: number;
}

export interface DispatchDeps {
  tasks: Pick<TaskRepository, 'get' | 'update'>;
  artifacts: Pick<ArtifactStore, 'getStream'>;
  /** The servers, as this invocation sees them. */
  slots: ComfySlots;
  clock: Clock;
  settings: DispatchSettings;
  random?: () => number;
}

export interface DispatchContext {
  /** SQS ApproximateReceiveCount: above 1, an earlier attempt may have reached ComfyUI. */
  receiveCount: number;
  /**
   * Clock time until which a task that finds every server full waits in this invocation for a slot
   * to free (no AWS request while it waits) before it is deferred. Omitted: defer at once.
   */
  holdUntil?: number;
  log: DispatchLog;
}

export type DispatchOutcome =
  /** `how`: we submitted it, or found it already at ComfyUI (in the queue, or by lookup). */
  | {
      kind: 'dispatched';
      server: string;
      number?: number;
      how: 'submitted' | 'found';
      /** How long the task waited for a GPU to start before this dispatch, if it did. */
      gpuWaitMs?: number;
    }
  | { kind: 'deferred'; message: DispatchMessage; delaySeconds: number; waitingForGpu?: boolean }
  | { kind: 'dropped'; reason: string }
  | { kind: 'failed'; code: string }
  | { kind: 'cancelled' };

export async function dispatchTask(
  deps: DispatchDeps,
  message: DispatchMessage,
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  const { taskId } = message;
  // The cached /queue readings answer "already there?" and "room?" without an AWS request, so a
  // task that must wait costs no DynamoDB read. Waiting here first, while the message is in flight,
  // keeps the GPU fed from the batch at hand; only what is still waiting at the end is deferred.
  const held = await deps.slots.holderOf(taskId);
  let reservation: Reservation | undefined;
  if (!held) {
    const r = await deps.slots.reserve(
      ctx.holdUntil === undefined ? {} : { waitUntil: ctx.holdUntil },
    );
    if (r === 'unavailable') {
      if (deps.settings.capacityWaitSeconds !== undefined) return waitForGpu(deps, message, ctx);
      throw new ComfyUnavailableError('No ComfyUI server answered GET /queue.');
    }
    if (r === 'full') return defer(deps, message, ctx);
    reservation = r;
  }
  let submitted = false;
  let claimed: Task | undefined;
  try {
    const task = await deps.tasks.get(taskId);
    if (task?.status !== 'queued') return await drop(deps, taskId, task, ctx, held?.client);
    if (held) return await record(deps, task, held.client, held.number, 'found', ctx);
    const client = (reservation as Reservation).client;
    const found = await deps.slots.find(taskId, client);
    if (found) {
      const number = found.result.state === 'finished' ? undefined : found.result.number;
      return await record(deps, task, found.client, number, 'found', ctx);
    }
    const cap = deps.settings.maxAtComfyPerOwner;
    const tag = ownerTag(task.owner);
    if (cap !== undefined && !(await deps.slots.admitOwner(reservation as Reservation, tag, cap))) {
      return await defer(deps, message, ctx, 'owner');
    }
    const claim = await claimTask(deps, task, message, ctx);
    if (claim) return claim;
    claimed = task;
    const workflow = await prepare(deps, task, client, ctx);
    if ('kind' in workflow) return workflow;
    let accepted: SubmittedPrompt;
    try {
      accepted = await client.submitPrompt({
        promptId: taskId,
        workflow: workflow.workflow,
        clientId: deps.settings.clientId,
        extraData: { [OWNER_TAG_KEY]: tag },
      });
    } catch (err) {
      if (err instanceof ComfyRejectedError) return await reject(deps, task, client, err, ctx);
      if (err instanceof ComfyUnavailableError) deps.slots.markUnavailable(client);
      throw err;
    }
    submitted = true;
    (reservation as Reservation).submitted();
    if (accepted.promptId !== taskId) return await unsupported(deps, task, client, accepted, ctx);
    if (accepted.nodeErrors?.length) {
      // ComfyUI queued the outputs that validated and dropped the others: the run goes ahead.
      ctx.log.warn('comfyui dropped outputs that failed validation', {
        nodeErrors: accepted.nodeErrors,
      });
    }
    return await record(deps, task, client, accepted.number, 'submitted', ctx);
  } catch (err) {
    // The retry must not wait for our claim to expire; it asks ComfyUI first in any case.
    if (claimed && !submitted) await releaseClaim(deps, claimed.taskId, ctx);
    throw err;
  } finally {
    if (!submitted) reservation?.release();
  }
}

async function releaseClaim(deps: DispatchDeps, taskId: string, ctx: DispatchContext) {
  try {
    await deps.tasks.update(taskId, { status: 'queued' }, {}, ['dispatchClaimUntil']);
  } catch (err) {
    ctx.log.info('dispatch claim not released; it expires', { error: String(err) });
  }
}

/**
 * No server is up and the fleet can start one: the task stays `queued`, marked as waiting for a GPU
 * (one write, on the first wait), and comes back as a fresh message until one answers or the wait
 * limit passes.
 */
async function waitForGpu(
  deps: DispatchDeps,
  message: DispatchMessage,
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  const now = deps.clock.now();
  const since = message.waitingSince ?? now;
  const limitSeconds = deps.settings.capacityWaitSeconds ?? 0;
  const deferrals = (message.deferrals ?? 0) + 1;
  // Read the task on the first wait, every `recheckEvery` waits (a cancelled one stops), and at the limit.
  if (
    message.waitingSince === undefined ||
    deferrals % deps.settings.recheckEvery === 0 ||
    now - since > limitSeconds * 1000
  ) {
    const task = await deps.tasks.get(message.taskId);
    if (task?.status !== 'queued') return drop(deps, message.taskId, task, ctx);
    if (now - since > limitSeconds * 1000) {
      return failQueuedTask(deps, task.taskId, ctx.log, {
        code: 'NO_GPU_CAPACITY',
        message: `No GPU became available within ${limitSeconds} s.`,
        details: { waitedSeconds: Math.round((now - since) / 1000) },
      });
    }
    if (!task.waitingForGpuSince) {
      await deps.tasks
        .update(
          task.taskId,
          { status: 'queued' },
          { waitingForGpuSince: new Date(since).toISOString() },
        )
        .catch((err: unknown) => {
          if (!(err instanceof TaskStateConflictError)) throw err;
        });
    }
    await showAlive(deps, task, ctx);
  }
  const delaySeconds = deps.settings.capacityPollSeconds ?? 10;
  ctx.log.info('no comfyui server is up: waiting for a gpu to start', {
    waitingSeconds: Math.round((now - since) / 1000),
    delaySeconds,
  });
  return {
    kind: 'deferred',
    message: { taskId: message.taskId, deferrals, waitingSince: since },
    delaySeconds,
    waitingForGpu: true,
  };
}

/** Every server is full: come back later, as a fresh message that costs no receive attempt. */
async function defer(
  deps: DispatchDeps,
  message: DispatchMessage,
  ctx: DispatchContext,
  why: 'full' | 'owner' = 'full',
): Promise<DispatchOutcome> {
  const deferrals = (message.deferrals ?? 0) + 1;
  if (deferrals % deps.settings.recheckEvery === 0) {
    const task = await deps.tasks.get(message.taskId);
    if (task?.status !== 'queued') return drop(deps, message.taskId, task, ctx);
    const waitedMs = deps.clock.now() - Date.parse(task.createdAt);
    if (waitedMs > deps.settings.queueTimeoutSeconds * 1000) {
      return failQueuedTask(deps, task.taskId, ctx.log, {
        code: 'QUEUE_TIMEOUT',
        message:
          why === 'owner'
            ? `The task waited ${deps.settings.queueTimeoutSeconds} s behind the owner's other tasks at ComfyUI (at most ${deps.settings.maxAtComfyPerOwner} at once).`
            : `No ComfyUI server had room for the task within ${deps.settings.queueTimeoutSeconds} s.`,
      });
    }
    await showAlive(deps, task, ctx);
  }
  const delaySeconds = deferralDelaySeconds(
    deps.settings.defer,
    deferrals - 1,
    deps.random ?? Math.random,
  );
  ctx.log.info(
    why === 'owner'
      ? "the owner's fair share of comfyui is in use, dispatch deferred"
      : 'every comfyui server is full, dispatch deferred',
    { deferrals, delaySeconds },
  );
  return { kind: 'deferred', message: { taskId: message.taskId, deferrals }, delaySeconds };
}

/** A waiting task's message is alive: move its `queuedAt` on (now and then) for the sweeper. */
async function showAlive(deps: DispatchDeps, task: Task, ctx: DispatchContext) {
  const since = Date.parse(task.queuedAt ?? task.createdAt);
  if (deps.clock.now() - since < deps.settings.queuedHeartbeatMs) return;
  try {
    await deps.tasks.update(task.taskId, { status: 'queued' }, { queuedAt: isoAt(deps.clock) });
  } catch (err) {
    if (!(err instanceof TaskStateConflictError)) throw err;
    ctx.log.info('task no longer queued while deferred');
  }
}

/**
 * Claim the task for this submission: a write conditional on the version just read, so of two copies
 * of one message read at the same instant (two containers) only one goes on to POST /prompt. The
 * other, or any copy that finds a live claim, comes back once the claim has expired: by then the
 * holder has recorded the dispatch (the copy is dropped), or it died (the copy takes over, after
 * asking ComfyUI whether the prompt got there). Undefined when the claim is ours.
 */
async function claimTask(
  deps: DispatchDeps,
  task: Task,
  message: DispatchMessage,
  ctx: DispatchContext,
): Promise<DispatchOutcome | undefined> {
  const now = deps.clock.now();
  const claimMs = deps.settings.claimSeconds * 1000;
  const heldUntil = task.dispatchClaimUntil ? Date.parse(task.dispatchClaimUntil) : 0;
  if (heldUntil <= now) {
    try {
      await deps.tasks.update(
        task.taskId,
        { status: 'queued', version: task.version },
        { dispatchClaimUntil: new Date(now + claimMs).toISOString() },
      );
      return undefined;
    } catch (err) {
      if (!(err instanceof TaskStateConflictError)) throw err;
    }
  }
  const waitMs = heldUntil > now ? heldUntil - now : claimMs;
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(waitMs / 1000) + 1);
  ctx.log.info('another dispatcher holds the task, dispatch deferred', { delaySeconds });
  return {
    kind: 'deferred',
    message: {
      taskId: task.taskId,
      ...(message.deferrals ? { deferrals: message.deferrals } : {}),
    },
    delaySeconds,
  };
}

/**
 * Not queued (unknown, cancelled, at ComfyUI, finished): nothing to dispatch. A finished task whose
 * prompt is still in a ComfyUI queue (an earlier attempt submitted it while the task was being
 * cancelled) has a run nobody watches any more: it is cancelled there.
 */
async function drop(
  deps: DispatchDeps,
  taskId: string,
  task: Task | undefined,
  ctx: DispatchContext,
  holder?: ComfyClient,
): Promise<DispatchOutcome> {
  const reason = task ? `task is ${task.status}` : 'task is unknown';
  ctx.log.info('dispatch message dropped', { reason });
  if (task && isTerminal(task.status)) {
    if (holder) await cancelAtComfy(holder, taskId, ctx.log);
    else if (ctx.receiveCount > 1) {
      // A redelivery: an earlier attempt may have submitted it; ask every server (HTTP only).
      const found = await deps.slots.find(taskId).catch(() => undefined);
      if (found && found.result.state !== 'finished') {
        await cancelAtComfy(found.client, taskId, ctx.log);
      }
    }
  }
  return { kind: 'dropped', reason };
}

/** The workflow as this server must run it, or the failure that ends the task. */
async function prepare(
  deps: DispatchDeps,
  task: Task,
  client: ComfyClient,
  ctx: DispatchContext,
): Promise<{ workflow: Task['workflow'] } | DispatchOutcome> {
  let workflow = prefixOutputs(task.workflow, task.taskId);
  const ids = collectUploadRefs(workflow);
  if (ids.length === 0) return { workflow };
  try {
    const names = await stageUploads({ artifacts: deps.artifacts, comfy: client }, task, ids);
    workflow = replaceUploadRefs(workflow, names);
    ctx.log.info('uploads staged at comfyui', { uploads: ids.length, server: client.baseUrl });
    return { workflow };
  } catch (err) {
    if (err instanceof ComfyUnavailableError) deps.slots.markUnavailable(client);
    if (!(err instanceof UploadNotFoundError)) throw err;
    const failed = await failQueuedTask(deps, task.taskId, ctx.log, {
      code: err.code,
      message: `${err.message} Uploads expire; upload the image again and resubmit.`,
    });
    return removeStaged(client, task, failed, ctx);
  }
}

/**
 * A task that failed here after (some of) its uploads were staged at ComfyUI: its staged inputs are
 * removed now, as the poller removes an ended task's files, not left on the shared disk for the
 * cleanup timer. Only when this attempt recorded the failure (a task that moved on keeps them).
 */
async function removeStaged<O extends DispatchOutcome>(
  client: ComfyClient,
  task: Task,
  outcome: O,
  ctx: DispatchContext,
): Promise<O> {
  if (outcome.kind === 'failed' && collectUploadRefs(task.workflow).length > 0) {
    await removeTaskFiles(client, task.taskId, undefined, ctx.log);
  }
  return outcome;
}

/**
 * ComfyUI refused the workflow (400): permanent, so the task fails now with ComfyUI's reasons, and
 * its staged inputs are removed.
 */
async function reject(
  deps: DispatchDeps,
  task: Task,
  client: ComfyClient,
  err: ComfyRejectedError,
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  const first = err.nodeErrors[0];
  const error: TaskError = {
    code: err.code,
    message: first?.errors[0]
      ? `${err.message} (node ${first.nodeId}: ${first.errors[0].message})`
      : err.message,
    ...(first ? { nodeId: first.nodeId } : {}),
    ...(first?.classType ? { nodeType: first.classType } : {}),
    details: { error: err.error, nodeErrors: err.nodeErrors },
  };
  return removeStaged(client, task, await failQueuedTask(deps, task.taskId, ctx.log, error), ctx);
}

/**
 * ComfyUI queued it under an id of its own: a server older than v0.3.45, which ignores client prompt
 * ids. Nothing could find or watch that run by the task id, so it is cancelled and the task fails.
 */
async function unsupported(
  deps: DispatchDeps,
  task: Task,
  client: ComfyClient,
  accepted: { promptId: string },
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  await cancelAtComfy(client, accepted.promptId, ctx.log);
  return failQueuedTask(deps, task.taskId, ctx.log, {
    code: 'COMFYUI_UNSUPPORTED',
    message: `The ComfyUI server ignored the task's prompt id (servers before v0.3.45 do); upgrade it.`,
    details: { server: client.baseUrl, promptId: accepted.promptId },
  });
}

/**
 * ComfyUI has the task (we submitted it, or an earlier attempt did): queued -> dispatched, conditional
 * on the task still being queued. A lost condition is read again to decide what our run becomes.
 */
async function record(
  deps: DispatchDeps,
  task: Task,
  client: ComfyClient,
  number: number | undefined,
  how: 'submitted' | 'found',
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  assertTransition('queued', 'dispatched');
  let written: Task;
  try {
    written = await deps.tasks.update(
      task.taskId,
      { status: 'queued' },
      {
        status: 'dispatched',
        comfyServer: client.baseUrl,
        comfyNumber: number,
        dispatchedAt: isoAt(deps.clock),
        missingPolls: 0,
      },
      number === undefined
        ? [
            'comfyNumber',
            'queuePosition',
            'startedAt',
            'finishedAt',
            'error',
            'dispatchClaimUntil',
            'waitingForGpuSince',
          ]
        : [
            'queuePosition',
            'startedAt',
            'finishedAt',
            'error',
            'dispatchClaimUntil',
            'waitingForGpuSince',
          ],
    );
  } catch (err) {
    if (!(err instanceof TaskStateConflictError)) throw err;
    return lostRace(deps, task.taskId, client, how, ctx);
  }
  ctx.log.info('task dispatched', { server: client.baseUrl, comfyNumber: number, how });
  if (written.cancelRequested) return cancelAfterDispatch(deps, written, client, ctx);
  const waitedSince = task.waitingForGpuSince ? Date.parse(task.waitingForGpuSince) : Number.NaN;
  return {
    kind: 'dispatched',
    server: client.baseUrl,
    ...(number === undefined ? {} : { number }),
    how,
    ...(Number.isFinite(waitedSince)
      ? { gpuWaitMs: Math.max(0, deps.clock.now() - waitedSince) }
      : {}),
  };
}

/** A cancel arrived while we were submitting: carry it out at ComfyUI at once. */
async function cancelAfterDispatch(
  deps: DispatchDeps,
  task: Task,
  client: ComfyClient,
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  if (!(await cancelAtComfy(client, task.taskId, ctx.log))) {
    // The task stays dispatched with cancelRequested: the poller carries the cancel out.
    return { kind: 'dispatched', server: client.baseUrl, how: 'submitted' };
  }
  assertTransition('dispatched', 'cancelled');
  try {
    await deps.tasks.update(
      task.taskId,
      { status: 'dispatched' },
      { status: 'cancelled', finishedAt: isoAt(deps.clock), error: { ...CANCELLED_ERROR } },
      ['cancelRequested', 'queuePosition'],
    );
  } catch (err) {
    // The poller moved it first (it also acts on cancelRequested): its write stands.
    if (!(err instanceof TaskStateConflictError)) throw err;
  }
  ctx.log.info('task cancelled right after dispatch');
  return { kind: 'cancelled' };
}

/**
 * Our queued -> dispatched write lost: someone else moved the task (a cancel, or a concurrent
 * duplicate delivery that dispatched it). A run of ours that nobody will watch is cancelled.
 */
async function lostRace(
  deps: DispatchDeps,
  taskId: string,
  client: ComfyClient,
  how: 'submitted' | 'found',
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  const current = await deps.tasks.get(taskId);
  if (current?.status === 'queued') {
    throw new TaskStateConflictError(`Task ${taskId} changed while it was being dispatched.`);
  }
  const watchedElsewhere =
    current && !isTerminal(current.status) && current.comfyServer !== client.baseUrl;
  if (!current || isTerminal(current.status) || watchedElsewhere) {
    ctx.log.warn('task moved on while being dispatched, cancelling our run', {
      status: current?.status,
      server: client.baseUrl,
      how,
    });
    if (!(await cancelAtComfy(client, taskId, ctx.log))) {
      // Retried: the redelivery finds the task terminal and cleans up (see `drop`).
      throw new ComfyUnavailableError(`Could not cancel an unwatched run of ${taskId} at ComfyUI.`);
    }
  } else if (how === 'submitted') {
    // Same server, another attempt recorded it first: two runs of one prompt id may exist there.
    ctx.log.warn('concurrent duplicate dispatch to the same server', { server: client.baseUrl });
  }
  if (current?.status === 'cancelled') return { kind: 'cancelled' };
  return { kind: 'dropped', reason: `task is ${current?.status ?? 'unknown'}` };
}
