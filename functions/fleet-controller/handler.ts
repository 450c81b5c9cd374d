/**
 * The fleet controller Lambda: wiring only. Every invocation (the one-minute schedule, a kick from
 * the dispatcher when a task finds no GPU up, or the group's drain lifecycle event) runs the
 * controller for up to a minute (run-fleet-controller.ts); the lease keeps one at a time.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { logger } from '../../shared/observability.js';
import {
  type RunFleetControllerDeps,
  type RunFleetControllerSettings,
  runFleetController,
} from '../../shared/use-cases/run-fleet-controller.js';

export interface FleetControllerDeps extends Omit<RunFleetControllerDeps, 'holder'> {
  settings: RunFleetControllerSettings;
}

/** Time kept free before the Lambda timeout. */
const MARGIN_MS = 5000;

export const createHandler =
  ({ settings, ...deps }: FleetControllerDeps) =>
  async (event: unknown, context?: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>) => {
    const remaining = context?.getRemainingTimeInMillis?.();
    const runMs =
      remaining === undefined ? settings.runMs : Math.min(settings.runMs, remaining - MARGIN_MS);
    const detailType = (event as { 'detail-type'?: unknown } | undefined)?.['detail-type'];
    const result = await runFleetController(
      { ...deps, holder: context?.awsRequestId ?? randomUUID() },
      { ...settings, runMs: Math.max(0, runMs) },
      (tick) => {
        if (tick.started > 0 || tick.stopped.length > 0) {
          logger.info('fleet scaled', {
            started: tick.started,
            stopped: tick.stopped,
            desired: tick.decision.desired,
            why: tick.decision.why,
          });
        }
      },
    );
    logger.info('fleet controller done', { ...result, trigger: detailType ?? 'schedule or kick' });
    return result;
  };
