/**
 * The single logger (Powertools, structured JSON) and metrics (EMF) of each function. Add the task id
 * with `logger.appendKeys({ taskId })` as soon as it is known, or use `withTaskLogger`, so every line
 * about a task carries it. Secrets never reach a log line: see `redact`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitType } from '@aws-lambda-powertools/metrics/types';

import { METRICS_NAMESPACE, SERVICE_NAME } from './telemetry-names.js';

export { METRICS_NAMESPACE, SERVICE_NAME };

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

const SIGNATURE_RE = /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"]+/gi;
const JWT_RE = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}\b/g;
const API_KEY_RE = /\bcsk_[A-Za-z0-9_-]{16,}\b/g;

/** Remove presigned URL signatures, JWTs and API keys (`csk_...`) from a string. */
export function redact(text: string): string {
  return text
    .replace(SIGNATURE_RE, '$1REDACTED')
    .replace(JWT_RE, '[REDACTED_JWT]')
    .replace(API_KEY_RE, '[REDACTED_API_KEY]');
}
