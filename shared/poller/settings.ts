/** The poller's settings, read from the parsed config (the only place they come from). */
import type { Config } from '../config.js';
import type { RunPollerSettings } from '../use-cases/run-poller.js';
import type { SweepQueuedSettings } from '../use-cases/sweep-queued.js';
import type { PollSettings } from './decide.js';

export const pollSettings = (
  c: Pick<
    Config,
    | 'MAX_REQUEUES'
    | 'RUN_TIMEOUT_SECONDS'
    | 'QUEUE_TIMEOUT_SECONDS'
    | 'POLLER_LOST_AFTER_POLLS'
    | 'POLLER_LOST_GRACE_MS'
    | 'OUTPUT_COPY_MAX_ATTEMPTS'
    | 'OUTPUT_COPY_MAX_SECONDS'
    | 'OUTPUT_COPY_RETRY_BASE_MS'
    | 'MAX_OUTPUTS_PER_TASK'
  >,
): PollSettings => ({
  maxRequeues: c.MAX_REQUEUES,
  runTimeoutMs: c.RUN_TIMEOUT_SECONDS * 1000,
  queueTimeoutMs: c.QUEUE_TIMEOUT_SECONDS * 1000,
  lostAfterPolls: c.POLLER_LOST_AFTER_POLLS,
  lostGraceMs: c.POLLER_LOST_GRACE_MS,
  maxOutputs: c.MAX_OUTPUTS_PER_TASK,
  copy: {
    maxAttempts: c.OUTPUT_COPY_MAX_ATTEMPTS,
    maxMs: c.OUTPUT_COPY_MAX_SECONDS * 1000,
    retryBaseMs: c.OUTPUT_COPY_RETRY_BASE_MS,
  },
});

export const loopSettings = (
  c: Pick<
    Config,
    | 'POLL_INTERVAL_MS'
    | 'POLLER_RUN_MS'
    | 'POLLER_LEASE_MS'
    | 'POLLER_IDLE_GRACE_MS'
    | 'POLLER_TIMEOUT_MARGIN_MS'
  >,
): RunPollerSettings & { timeoutMarginMs: number } => ({
  pollIntervalMs: c.POLL_INTERVAL_MS,
  runMs: c.POLLER_RUN_MS,
  leaseMs: c.POLLER_LEASE_MS,
  idleGraceMs: c.POLLER_IDLE_GRACE_MS,
  timeoutMarginMs: c.POLLER_TIMEOUT_MARGIN_MS,
});

export const sweepSettings = (
  c: Pick<
    Config,
    | 'QUEUED_SWEEP_GRACE_SECONDS'
    | 'QUEUE_TIMEOUT_SECONDS'
    | 'QUEUED_SWEEP_MAX_RESENDS'
    | 'QUEUED_SWEEP_EVERY_SECONDS'
  >,
): SweepQueuedSettings & { everyMs: number } => ({
  graceMs: c.QUEUED_SWEEP_GRACE_SECONDS * 1000,
  queueTimeoutMs: c.QUEUE_TIMEOUT_SECONDS * 1000,
  maxResends: c.QUEUED_SWEEP_MAX_RESENDS,
  batch: 100,
  everyMs: c.QUEUED_SWEEP_EVERY_SECONDS * 1000,
});
