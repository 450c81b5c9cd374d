/**
 * The single logger (Powertools, structured JSON) and metrics (EMF) of each function. Add the task id
 * with `logger.appendKeys({ taskId })` as soon as it is known, or use `taskLogger`, so every line
 * about a task carries it. Secrets never reach a log line: no code logs them, and the log-secrets
 * integration test scans the output of a full run for API keys, JWTs and presigned signatures.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitType } from '@aws-lambda-powertools/metrics/types';

import { METRICS_NAMESPACE, SERVICE_NAME } from './telemetry-names.js';

export const logger = new Logger({ serviceName: SERVICE_NAME });

/** What handlers need of `metrics` (injected, so tests can record metric names). */
export interface MetricsSink {
  addMetric(name: string, unit: MetricUnitType, value: number): unknown;
  publishStoredMetrics(): unknown;
}
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** A child logger whose every line carries the task id. */
export const taskLogger = (taskId: string, extra: Record<string, unknown> = {}) =>
  logger.createChild({ persistentKeys: { taskId, ...extra } });
