/**
 * The webhook sender's dependencies, built once per container from its own config: the task
 * repository (the event's data and its delivery records), the owners' signing secrets, the HTTP
 * transport with its time and size limits, the resolver the target checks use, and the queues it
 * retries on and dead-letters to.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoWebhookSecretStore } from '../../shared/adapters/dynamodb/webhook-secret-store.js';
import { SqsMessageVisibility } from '../../shared/adapters/sqs/message-visibility.js';
import { SqsWebhookQueue } from '../../shared/adapters/sqs/webhook-queue.js';
import { dnsResolver } from '../../shared/adapters/webhooks/dns-resolver.js';
import { HttpWebhookTransport } from '../../shared/adapters/webhooks/http-webhook-transport.js';
import {
  dynamoClientsFor,
  s3ClientFor,
  s3PresignClientFor,
  sqsClientFor,
} from '../../shared/composition/aws.js';
import { artifactStoreFor, taskRepositoryFor } from '../../shared/composition/storage.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { STANDARD_RETRY_DELAYS_SECONDS } from '../../shared/webhooks/schedule.js';
import type { WebhookSenderDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; s3Presign: S3Client; sqs: SQSClient } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    s3Presign: s3PresignClientFor(config),
    sqs: sqsClientFor(config),
  },
): WebhookSenderDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  if (!config.WEBHOOK_QUEUE_URL || !config.WEBHOOK_DLQ_URL)
    throw new Error('Invalid configuration: WEBHOOK_QUEUE_URL and WEBHOOK_DLQ_URL are required');
  const clock = systemClock;
  const artifacts = artifactStoreFor(config, clients.s3, clock, clients.s3Presign);
  const repository = taskRepositoryFor(config, clients.doc, artifacts, clock);
  return {
    clock,
    artifacts,
    outputUrlTtlSeconds: config.OUTPUT_URL_TTL_SECONDS,
    tasks: repository,
    deliveries: repository,
    secrets: new DynamoWebhookSecretStore({
      client: clients.doc,
      tableName: config.API_KEYS_TABLE_NAME,
    }),
    transport: new HttpWebhookTransport({
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
    }),
    resolver: dnsResolver,
    policy: { allowLocalHttp: config.WEBHOOK_ALLOW_LOCAL_HTTP },
    visibility: new SqsMessageVisibility({
      client: clients.sqs,
      queueUrl: config.WEBHOOK_QUEUE_URL,
    }),
    deadLetters: new SqsWebhookQueue({ client: clients.sqs, queueUrl: config.WEBHOOK_DLQ_URL }),
    retryDelaysSeconds: config.WEBHOOK_RETRY_DELAYS_SECONDS ?? STANDARD_RETRY_DELAYS_SECONDS,
    metrics,
  };
}
