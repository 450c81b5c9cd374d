/**
 * The fleet controller Lambda: wiring only. Every invocation (the one-minute schedule, a kick from
 * the dispatcher when a task finds no GPU up, or the group's drain lifecycle event) runs the
 * controller for up to a minute (run-fleet-controller.ts); the lease keeps one at a time.
 */
import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { logger, type MetricsSink } from '../../shared/observability.js';
import { FLEET_METRICS } from '../../shared/telemetry-names.js';
import {
  type RunFleetControllerDeps,
  type RunFleetControllerSettings,
  runFleetController,
} from '../../shared/use-cases/run-fleet-controller.js';

export interface FleetControllerDeps extends Omit<RunFleetControllerDeps, 'holder'> {
  settings: RunFleetControllerSettings;
  /** Scale events and capacity, once per tick (the dashboard's fleet graphs). */
  metrics: MetricsSink;
}

/** Time kept free before the Lambda timeout. */
const MARGIN_MS = 5000;

export const createHandler =
  ({ settings, metrics, ...deps }: FleetControllerDeps) =>
  async (event: unknown, context?: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>) => {
    const remaining = context?.getRemainingTimeInMillis?.();
    const runMs =
      remaining === undefined ? settings.runMs : Math.min(settings.runMs, remaining - MARGIN_MS);
    const detailType = (event as { 'detail-type'?: unknown } | undefined)?.['detail-type'];
    const result = await runFleetController(
      { ...deps, holder: context?.awsRequestId ?? randomUUID() },
      { ...settings, runMs: Math.max(0, runMs) },
      (tick) => {
        const { desired, live } = tick.decision;
        metrics.addMetric(FLEET_METRICS.started, MetricUnit.Count, tick.started);
        metrics.addMetric(FLEET_METRICS.stopped, MetricUnit.Count, tick.stopped.length);
        metrics.addMetric(FLEET_METRICS.desired, MetricUnit.Count, desired);
        metrics.addMetric(FLEET_METRICS.live, MetricUnit.Count, live);
        if (live > 0)
          metrics.addMetric(FLEET_METRICS.backlogPerGpu, MetricUnit.Count, tick.backlog / live);
        metrics.publishStoredMetrics();
        if (tick.started > 0 || tick.stopped.length > 0 || tick.decision.revive.length > 0) {
          logger.info('fleet scaled', {
            started: tick.started,
            stopped: tick.stopped,
            revived: tick.decision.revive,
            desired: tick.decision.desired,
            why: tick.decision.why,
          });
        }
      },
    );
    logger.info('fleet controller done', { ...result, trigger: detailType ?? 'schedule or kick' });
    return result;
  };
