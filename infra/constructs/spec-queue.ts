/**
 * An SQS queue built from a `QueueSpec` of shared/resources.ts (the same description the local
 * bootstrap creates on fauxqs): SSE with SQS-owned keys and TLS-only access.
 */
import { Duration } from 'aws-cdk-lib';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { QueueSpec } from '../../shared/resources.js';

export function createSpecQueue(scope: Construct, spec: QueueSpec, deadLetterQueue?: IQueue) {
  if (spec.deadLetter && !deadLetterQueue) {
    throw new Error(`Queue ${spec.id} needs its dead-letter queue ${spec.deadLetter.queueId}`);
  }
  return new Queue(scope, spec.id, {
    visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
    retentionPeriod: Duration.seconds(spec.retentionSeconds),
    receiveMessageWaitTime: Duration.seconds(spec.receiveWaitSeconds),
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    ...(spec.deadLetter && deadLetterQueue
      ? {
          deadLetterQueue: {
            queue: deadLetterQueue,
            maxReceiveCount: spec.deadLetter.maxReceiveCount,
          },
        }
      : {}),
  });
}
