/**
 * The storage adapters functions share, built from their own config and the SDK clients they were
 * given: the artifact store, the task repository (always given the artifact store as its workflow
 * store, so a large workflow written by one function can be read by every other; writes raise
 * webhook events when a webhook queue is configured) and the dispatch queue.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTaskRepository } from '../adapters/dynamodb/task-repository.js';
import { S3ArtifactStore } from '../adapters/s3/artifact-store.js';
import { SqsTaskQueue } from '../adapters/sqs/task-queue.js';
import type { Config } from '../config.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { withWebhooks } from './webhook-emitter.js';

/** `presign`: the client presigned links are made with (see createS3PresignClient). */
export const artifactStoreFor = (
  c: Pick<Config, 'OUTPUTS_BUCKET_NAME'>,
  s3: S3Client,
  clock: Clock = systemClock,
  presign?: S3Client,
) =>
  new S3ArtifactStore({
    client: s3,
    ...(presign ? { presignClient: presign } : {}),
    bucket: c.OUTPUTS_BUCKET_NAME,
    clock,
  });

/** Read-only functions need no TASK_RETENTION_DAYS (it only sets the expiry of finished tasks). */
export const taskRepositoryFor = (
  c: Pick<Config, 'TASKS_TABLE_NAME'> & Partial<Pick<Config, 'TASK_RETENTION_DAYS'>>,
  doc: DynamoDBDocumentClient,
  workflowStore: S3ArtifactStore,
  clock: Clock = systemClock,
) =>
  new DynamoTaskRepository({
    client: doc,
    tableName: c.TASKS_TABLE_NAME,
    clock,
    ...(c.TASK_RETENTION_DAYS === undefined ? {} : { retentionDays: c.TASK_RETENTION_DAYS }),
    workflowStore,
  });

/**
 * The task repository of a function that changes tasks: its writes raise webhook events when
 * WEBHOOK_QUEUE_URL is set (`sqs` is called only then).
 */
export const writingTaskRepositoryFor = (
  c: Pick<Config, 'TASKS_TABLE_NAME' | 'TASK_RETENTION_DAYS' | 'WEBHOOK_QUEUE_URL'>,
  doc: DynamoDBDocumentClient,
  sqs: () => SQSClient,
  workflowStore: S3ArtifactStore,
  clock: Clock = systemClock,
) => withWebhooks(c, sqs, taskRepositoryFor(c, doc, workflowStore, clock));

export const taskQueueFor = (c: Pick<Config, 'DISPATCH_QUEUE_URL'>, sqs: SQSClient) =>
  new SqsTaskQueue({ client: sqs, queueUrl: c.DISPATCH_QUEUE_URL });
