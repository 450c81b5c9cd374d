/**
 * The dispatcher: one SQS batch of `{taskId, deferrals?}` messages -> dispatchTask per record, with
 * partial batch failures (Powertools BatchProcessor), so a failed record never redelivers its
 * neighbours. Records run concurrently, at most `concurrency` at a time, and copies of one task's
 * message one after another. After the records: deferred tasks are re-sent in batches (the originals
 * are acknowledged, so waiting for a free server never counts as a receive), and failed records get
 * a backoff visibility timeout. See docs/adr/001-dispatch-semantics.md.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Config } from '../../shared/config.js';
import { type BackoffPolicy, retryVisibilitySeconds } from '../../shared/dispatch/backoff.js';
import { createKeyedSerializer, readMessage } from '../../shared/dispatch/batch-tools.js';
import { ComfySlots } from '../../shared/dispatch/comfy-slots.js';
import { createLimiter } from '../../shared/limiter.js';
import { logger, type MetricsSink, taskLogger } from '../../shared/observability.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { ComfyClient } from '../../shared/ports/comfy-client.js';
import type { MessageVisibility } from '../../shared/ports/message-visibility.js';
import type { PollerTrigger } from '../../shared/ports/poller-trigger.js';
import type { DispatchMessage, TaskQueue } from '../../shared/ports/task-queue.js';
import { DISPATCH_METRICS, FLEET_METRICS, TASK_METRICS } from '../../shared/telemetry-names.js';
import {
  type DispatchDeps,
  type DispatchOutcome,
  type DispatchSettings,
  dispatchTask,
} from '../../shared/use-cases/dispatch-task.js';

export interface DispatcherSettings extends DispatchSettings {
  /** Most tasks queued or running at each ComfyUI server. */
  maxInFlight: number;
  /** How long one `/queue` reading of a server is trusted within an invocation. */
  queueCacheMs: number;
  /** Records handled at once. */
  concurrency: number;
  /** Longest a record waits in the invocation for a free slot before it is deferred (ms). */
  holdMs: number;
  /** How often a waiting record's servers are read again (ms). */
  holdPollMs: number;
  /** Visibility backoff for failed records, by receive count. */
  retry: BackoffPolicy;
}

export interface DispatcherDeps extends Omit<DispatchDeps, 'slots' | 'settings'> {
  /** The ComfyUI servers (a fixed list; see `servers` for a fleet). */
  comfy: readonly ComfyClient[];
  /** With a GPU fleet: the servers that take prompts now, read per batch instead of `comfy`. */
  servers?: () => Promise<readonly ComfyClient[]>;
  /** With a GPU fleet: asks the controller for capacity when a task found no server up. */
  wantGpu?: () => Promise<void>;
  queue: Pick<TaskQueue, 'sendMany'>;
  visibility: MessageVisibility;
  settings: DispatcherSettings;
  metrics: MetricsSink;
  clock: Clock;
  /** @default a real timer (tests pass one that moves their clock) */
  sleep?: (ms: number) => Promise<void>;
  /** Starts the poller after tasks reach ComfyUI. @default none (the local runtime re-runs it) */
  pollerTrigger?: PollerTrigger;
}

/** Time kept back from waiting for slots, for the work after it (submission, re-sends, backoffs). */
const FINISH_RESERVE_MS = 8000;

/** The dispatcher's settings from the parsed configuration. */
export const settingsFromConfig = (
  c: Pick<
    Config,
    | 'COMFYUI_CLIENT_ID'
    | 'DISPATCH_DEFER_BASE_SECONDS'
    | 'DISPATCH_DEFER_MAX_SECONDS'
    | 'DISPATCH_RECHECK_EVERY'
    | 'QUEUE_TIMEOUT_SECONDS'
    | 'DISPATCH_CLAIM_SECONDS'
    | 'MAX_IN_FLIGHT'
    | 'MAX_AT_COMFY_PER_OWNER'
    | 'COMFYUI_SERVERS'
    | 'FLEET_CAPACITY_WAIT_SECONDS'
    | 'FLEET_CAPACITY_POLL_SECONDS'
    | 'QUEUED_SWEEP_GRACE_SECONDS'
    | 'COMFYUI_QUEUE_CACHE_MS'
    | 'DISPATCH_CONCURRENCY'
    | 'DISPATCH_HOLD_MS'
    | 'DISPATCH_HOLD_POLL_MS'
    | 'DISPATCH_RETRY_BASE_SECONDS'
    | 'DISPATCH_RETRY_MAX_SECONDS'
  >,
): DispatcherSettings => ({
  clientId: c.COMFYUI_CLIENT_ID,
  defer: { baseSeconds: c.DISPATCH_DEFER_BASE_SECONDS, maxSeconds: c.DISPATCH_DEFER_MAX_SECONDS },
  recheckEvery: c.DISPATCH_RECHECK_EVERY,
  queueTimeoutSeconds: c.QUEUE_TIMEOUT_SECONDS,
  claimSeconds: c.DISPATCH_CLAIM_SECONDS,
  queuedHeartbeatMs: Math.floor((c.QUEUED_SWEEP_GRACE_SECONDS * 1000) / 3),
  maxAtComfyPerOwner: c.MAX_AT_COMFY_PER_OWNER,
  maxInFlight: c.MAX_IN_FLIGHT,
  queueCacheMs: c.COMFYUI_QUEUE_CACHE_MS,
  concurrency: c.DISPATCH_CONCURRENCY,
  holdMs: c.DISPATCH_HOLD_MS,
  holdPollMs: c.DISPATCH_HOLD_POLL_MS,
  retry: { baseSeconds: c.DISPATCH_RETRY_BASE_SECONDS, maxSeconds: c.DISPATCH_RETRY_MAX_SECONDS },
  ...(c.COMFYUI_SERVERS === 'fleet'
    ? {
        capacityWaitSeconds: c.FLEET_CAPACITY_WAIT_SECONDS,
        capacityPollSeconds: c.FLEET_CAPACITY_POLL_SECONDS,
      }
    : {}),
});

const METRIC_OF: Record<DispatchOutcome['kind'], string> = {
  dispatched: TASK_METRICS.dispatched,
  deferred: DISPATCH_METRICS.deferred,
  dropped: DISPATCH_METRICS.dropped,
  failed: TASK_METRICS.failed,
  cancelled: TASK_METRICS.cancelled,
};

export const createHandler = (deps: DispatcherDeps) => {
  // Shared by every invocation of this handler: copies of one task's message run one after another
  // whether they arrive in one batch or in concurrent batches of one process (the local runtime).
  const serialize = createKeyedSerializer();
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    const { settings } = deps;
    const servers = deps.servers ? await deps.servers() : deps.comfy;
    const slots = new ComfySlots(servers, {
      ...settings,
      clock: deps.clock,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });
    // Waiting for a slot must leave time to submit, re-send the deferred and set retry backoffs.
    const remaining = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    const holdUntil =
      deps.clock.now() + Math.max(0, Math.min(settings.holdMs, remaining - FINISH_RESERVE_MS));
    const limiter = createLimiter(settings.concurrency);
    const deferred: {
      record: SQSRecord;
      message: DispatchMessage;
      delaySeconds: number;
      waitingForGpu?: boolean;
    }[] = [];
    const count = (name: string) => deps.metrics.addMetric(name, MetricUnit.Count, 1);
    let dispatched = 0;

    const handleRecord = (record: SQSRecord) =>
      limiter.run(async () => {
        const message = readMessage(record.body);
        if (!message) {
          logger.warn('malformed dispatch message dropped', { messageId: record.messageId });
          return count(DISPATCH_METRICS.dropped);
        }
        const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
        const log = taskLogger(message.taskId, { messageId: record.messageId, receiveCount });
        try {
          const outcome = await serialize(message.taskId, () =>
            dispatchTask({ ...deps, slots, settings }, message, { receiveCount, log, holdUntil }),
          );
          if (outcome.kind === 'deferred') deferred.push({ record, ...outcome });
          else count(METRIC_OF[outcome.kind]);
          if (outcome.kind === 'dispatched') dispatched++;
          if (outcome.kind === 'dispatched' && outcome.gpuWaitMs !== undefined)
            deps.metrics.addMetric(
              FLEET_METRICS.gpuWaitMs,
              MetricUnit.Milliseconds,
              outcome.gpuWaitMs,
            );
          if (outcome.kind === 'failed' && outcome.code === 'COMFYUI_REJECTED')
            count(DISPATCH_METRICS.rejected);
        } catch (err) {
          log.warn('dispatch failed, the message will be retried', { error: err as Error });
          count(DISPATCH_METRICS.retries);
          throw err;
        }
      });

    const processor = new BatchProcessor(EventType.SQS);
    // A copy: with no failures Powertools returns a shared constant object.
    const { batchItemFailures } = await processPartialResponse(event, handleRecord, processor, {
      ...(context ? { context } : {}),
      throwOnFullBatchFailure: false,
    });
    const response: SQSBatchResponse = { batchItemFailures: [...batchItemFailures] };
    await resendDeferred(deps, deferred, response, count);
    await backOffFailures(deps, event.Records, response);
    if (dispatched > 0) await kickPoller(deps.pollerTrigger);
    if (deferred.some((d) => d.waitingForGpu)) await askForGpu(deps.wantGpu);
    deps.metrics.publishStoredMetrics();
    return response;
  };
};

/**
 * One SendMessageBatch per ten deferred tasks. If it fails, their originals are reported failed
 * instead, so SQS redelivers them: a wait may then cost a receive, but never loses the task.
 */
async function resendDeferred(
  deps: DispatcherDeps,
  deferred: { record: SQSRecord; message: DispatchMessage; delaySeconds: number }[],
  response: SQSBatchResponse,
  count: (name: string) => void,
) {
  if (deferred.length === 0) return;
  try {
    await deps.queue.sendMany(
      deferred.map(({ message, delaySeconds }) => ({ message, delaySeconds })),
    );
    for (const _ of deferred) count(DISPATCH_METRICS.deferred);
  } catch (err) {
    logger.error('deferred tasks could not be re-sent, their messages will be retried', {
      error: err as Error,
      taskIds: deferred.map((d) => d.message.taskId),
    });
    for (const d of deferred)
      response.batchItemFailures.push({ itemIdentifier: d.record.messageId });
  }
}

/** Failed records come back after a growing delay rather than the queue's long visibility timeout. */
async function backOffFailures(
  deps: DispatcherDeps,
  records: SQSRecord[],
  response: SQSBatchResponse,
) {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const changes = records
    .filter((r) => failed.has(r.messageId))
    .map((r) => ({
      receiptHandle: r.receiptHandle,
      seconds: retryVisibilitySeconds(
        deps.settings.retry,
        Number(r.attributes.ApproximateReceiveCount) || 1,
        deps.random,
      ),
    }));
  if (changes.length === 0) return;
  try {
    await deps.visibility.change(changes);
  } catch (err) {
    logger.warn('retry backoff not applied, the queue visibility timeout stands', {
      error: err as Error,
    });
  }
}

/**
 * A poller that exited while nothing was active would otherwise see these tasks only at its next
 * scheduled minute. Best effort: the schedule remains the backstop.
 */
/** A start request lost here only delays capacity until the controller's next scheduled tick. */
async function askForGpu(wantGpu: (() => Promise<void>) | undefined) {
  if (!wantGpu) return;
  try {
    await wantGpu();
  } catch (err) {
    logger.warn('could not ask the fleet controller for a gpu; its schedule will', {
      error: String(err),
    });
  }
}

async function kickPoller(trigger: PollerTrigger | undefined) {
  if (!trigger) return;
  try {
    await trigger.kick();
  } catch (err) {
    logger.warn('poller kick failed; the schedule will start it', { error: err as Error });
  }
}
