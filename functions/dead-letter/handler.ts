/**
 * The dead-letter consumer: each message is a task the dispatcher gave up on (see
 * failDeadLetteredTask). Partial batch failures via Powertools: a record whose write fails for a
 * transient reason stays on the dead-letter queue and comes back.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { readMessage } from '../../shared/dispatch/batch-tools.js';
import { logger, type MetricsSink, taskLogger } from '../../shared/observability.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { TaskRepository } from '../../shared/ports/task-repository.js';
import { DISPATCH_METRICS } from '../../shared/telemetry-names.js';
import { failDeadLetteredTask } from '../../shared/use-cases/fail-dead-lettered-task.js';

export interface DeadLetterDeps {
  tasks: Pick<TaskRepository, 'update'>;
  clock: Clock;
  metrics: MetricsSink;
}

export const createHandler =
  (deps: DeadLetterDeps) =>
  async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    const handleRecord = async (record: SQSRecord) => {
      const message = readMessage(record.body);
      if (!message) {
        logger.warn('malformed dead-lettered message dropped', { messageId: record.messageId });
        return;
      }
      const log = taskLogger(message.taskId, { messageId: record.messageId });
      const outcome = await failDeadLetteredTask(deps, message, { log });
      if (outcome.kind === 'failed') {
        deps.metrics.addMetric(DISPATCH_METRICS.deadLettered, MetricUnit.Count, 1);
        log.warn('dead-lettered task failed', { code: outcome.code });
      }
    };
    const { batchItemFailures } = await processPartialResponse(
      event,
      handleRecord,
      new BatchProcessor(EventType.SQS),
      { ...(context ? { context } : {}), throwOnFullBatchFailure: false },
    );
    deps.metrics.publishStoredMetrics();
    return { batchItemFailures: [...batchItemFailures] };
  };
