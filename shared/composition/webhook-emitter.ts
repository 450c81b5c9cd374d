/** The webhook event emitter every function that changes tasks writes through. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsWebhookQueue } from '../adapters/sqs/webhook-queue.js';
import type { Config } from '../config.js';
import { logger, metrics } from '../observability.js';
import { systemClock } from '../ports/clock.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { WEBHOOK_METRICS } from '../telemetry-names.js';
import { withWebhookEvents } from '../webhooks/emitting-task-repository.js';

/** The repository, raising webhook events when a webhook queue is configured. */
export function withWebhooks(
  config: Pick<Config, 'WEBHOOK_QUEUE_URL'>,
  sqs: () => SQSClient,
  tasks: TaskRepository,
) {
  if (!config.WEBHOOK_QUEUE_URL) return tasks;
  return withWebhookEvents(tasks, {
    queue: new SqsWebhookQueue({ client: sqs(), queueUrl: config.WEBHOOK_QUEUE_URL }),
    clock: systemClock,
    log: { error: (message, extra) => logger.error(message, extra ?? {}) },
    onLost: () => metrics.addMetric(WEBHOOK_METRICS.enqueueFailed, MetricUnit.Count, 1),
  });
}
