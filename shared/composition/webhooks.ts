/**
 * The webhook parts, built once per container from config: the emitter every function that changes
 * tasks writes through, and the sender's dependencies.
 */

import type { AwsClients } from '../adapters/aws/clients.js';
import { DynamoWebhookSecretStore } from '../adapters/dynamodb/webhook-secret-store.js';
import { SqsMessageVisibility } from '../adapters/sqs/message-visibility.js';
import { SqsWebhookQueue } from '../adapters/sqs/webhook-queue.js';
import { dnsResolver } from '../adapters/webhooks/dns-resolver.js';
import { HttpWebhookTransport } from '../adapters/webhooks/http-webhook-transport.js';
import type { Config } from '../config.js';
import { logger, metrics } from '../observability.js';
import { STANDARD_RETRY_DELAYS_SECONDS } from '../webhooks/schedule.js';
import { awsClientsFor, buildStorage } from './storage.js';

export function buildWebhookSenderDeps(
  config: Config,
  clients: AwsClients = awsClientsFor(config),
) {
  logger.setLogLevel(config.LOG_LEVEL);
  if (!config.WEBHOOK_QUEUE_URL || !config.WEBHOOK_DLQ_URL)
    throw new Error('Invalid configuration: WEBHOOK_QUEUE_URL and WEBHOOK_DLQ_URL are required');
  const { clock, artifacts, repository } = buildStorage(config, clients);
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
