/**
 * The webhook sender: one SQS batch of webhook events -> deliverWebhook per record, with partial batch
 * failures. A failed attempt is retried by SQS on the Standard Webhooks schedule (the record's
 * visibility is set to the next delay, from its receive count); after the last attempt the event is
 * moved to the webhook dead-letter queue and acknowledged. Receivers that fail, hang or reset cost
 * only their own retries: every attempt has its own connection and time limit.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, type MetricsSink, taskLogger } from '../../shared/observability.js';
import type { MessageVisibility } from '../../shared/ports/message-visibility.js';
import { readWebhookMessage, type WebhookQueue } from '../../shared/ports/webhook-queue.js';
import { WEBHOOK_METRICS } from '../../shared/telemetry-names.js';
import { type DeliverWebhookDeps, deliverWebhook } from '../../shared/use-cases/deliver-webhook.js';
import { retryDelaySeconds } from '../../shared/webhooks/schedule.js';

export interface WebhookSenderDeps extends DeliverWebhookDeps {
  visibility: MessageVisibility;
  /** Where events go when their retries run out. */
  deadLetters: WebhookQueue;
  /** Delays between attempts, seconds (attempts = delays + 1). */
  retryDelaysSeconds: readonly number[];
  metrics: MetricsSink;
  random?: () => number;
}

class RetryLater extends Error {}

export const createHandler =
  (deps: WebhookSenderDeps) =>
  async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    const count = (name: string) => deps.metrics.addMetric(name, MetricUnit.Count, 1);
    const retries: { receiptHandle: string; seconds: number }[] = [];

    const handleRecord = async (record: SQSRecord) => {
      const message = readWebhookMessage(record.body);
      if (!message) {
        logger.warn('malformed webhook message dropped', { messageId: record.messageId });
        return;
      }
      const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
      const next = retryDelaySeconds(deps.retryDelaysSeconds, attempt, deps.random);
      const log = taskLogger(message.taskId, { event: message.event, attempt });
      const outcome = await deliverWebhook(deps, message, attempt, next === undefined);
      if (outcome.kind === 'skipped') {
        count(WEBHOOK_METRICS.skipped);
        log.info('webhook skipped', { reason: outcome.reason });
        return;
      }
      if (outcome.kind === 'delivered') {
        count(WEBHOOK_METRICS.delivered);
        const lag = deps.clock.now() - Date.parse(message.occurredAt);
        if (Number.isFinite(lag))
          deps.metrics.addMetric(WEBHOOK_METRICS.lagMs, MetricUnit.Milliseconds, lag);
        log.info('webhook delivered', { status: outcome.status });
        return;
      }
      count(WEBHOOK_METRICS.failedAttempts);
      if (next === undefined) {
        // Throws if the dead-letter send fails: the record is then retried once more.
        await deps.deadLetters.send(message);
        count(WEBHOOK_METRICS.abandoned);
        log.warn('webhook abandoned after its last attempt', { error: outcome.error });
        return;
      }
      log.info('webhook attempt failed, will retry', { error: outcome.error, inSeconds: next });
      retries.push({ receiptHandle: record.receiptHandle, seconds: next });
      throw new RetryLater(outcome.error);
    };

    const { batchItemFailures } = await processPartialResponse(
      event,
      handleRecord,
      new BatchProcessor(EventType.SQS),
      { ...(context ? { context } : {}), throwOnFullBatchFailure: false },
    );
    if (retries.length > 0) {
      try {
        await deps.visibility.change(retries);
      } catch (err) {
        logger.warn('webhook retry delays not applied, the queue visibility timeout stands', {
          error: err as Error,
        });
      }
    }
    deps.metrics.publishStoredMetrics();
    return { batchItemFailures: [...batchItemFailures] };
  };
