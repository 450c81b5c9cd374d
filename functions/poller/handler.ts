/**
 * The poller Lambda (EventBridge schedule, at most once a minute): wiring only. It polls inside the
 * invocation (see run-poller.ts) until just before the Lambda timeout, and publishes each poll's
 * metrics as it goes, so a long invocation reports continuously.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { logger, type MetricsSink } from '../../shared/observability.js';
import { recordPollMetrics } from '../../shared/poller/metrics.js';
import { POLLER_KICK_SOURCE } from '../../shared/ports/poller-trigger.js';
import {
  type RunPollerDeps,
  type RunPollerResult,
  type RunPollerSettings,
  runPoller,
} from '../../shared/use-cases/run-poller.js';

export interface PollerHandlerDeps extends Omit<RunPollerDeps, 'holder'> {
  loop: RunPollerSettings & {
    /** Time kept free before the Lambda timeout (a poll in flight must finish). @default 10000 */
    timeoutMarginMs?: number;
  };
  metrics: MetricsSink;
  /** Publishes the servers' node catalogue when due (alongside the polling). */
  publishCatalog?: () => Promise<unknown>;
}

/** A kicked poller tries the lease this often, so a holder on its way out is not a reason to quit. */
const KICK_ACQUIRE_ATTEMPTS = 4;
const isKick = (event: unknown): boolean =>
  typeof event === 'object' &&
  event !== null &&
  (event as { source?: unknown }).source === POLLER_KICK_SOURCE;

export const createHandler =
  ({ loop, metrics, publishCatalog, ...deps }: PollerHandlerDeps) =>
  async (event: unknown, context?: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>) => {
    const remaining = context?.getRemainingTimeInMillis?.();
    const runMs =
      remaining === undefined
        ? loop.runMs
        : Math.max(0, Math.min(loop.runMs, remaining - (loop.timeoutMarginMs ?? 10_000)));
    const holder = context?.awsRequestId ?? randomUUID();
    const publishing = publishCatalog?.();
    const result: RunPollerResult = await runPoller(
      { ...deps, holder },
      { ...loop, runMs, ...(isKick(event) ? { acquireAttempts: KICK_ACQUIRE_ATTEMPTS } : {}) },
      (report, pollMs) => {
        if (recordPollMetrics(report, pollMs, metrics) > 0) metrics.publishStoredMetrics();
      },
    );
    await publishing;
    logger.info('poller invocation finished', { ...result, holder });
    return result;
  };
