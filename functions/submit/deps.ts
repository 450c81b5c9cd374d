/**
 * The submit function's dependencies, built once per container from its own config. With
 * WEBHOOK_QUEUE_URL set, its writes raise webhook events and it takes webhook subscriptions (the URL
 * checked, the owner's signing secret present); without it, submits with a webhook are refused.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoUploadStore } from '../../shared/adapters/dynamodb/upload-store.js';
import { DynamoWebhookSecretStore } from '../../shared/adapters/dynamodb/webhook-secret-store.js';
import { dnsResolver } from '../../shared/adapters/webhooks/dns-resolver.js';
import { dynamoClientsFor, s3ClientFor, sqsClientFor } from '../../shared/composition/aws.js';
import { catalogSourceFor } from '../../shared/composition/catalog.js';
import { ownerRateLimitFor } from '../../shared/composition/rate-limit.js';
import {
  artifactStoreFor,
  taskQueueFor,
  writingTaskRepositoryFor,
} from '../../shared/composition/storage.js';
import { randomIds } from '../../shared/domain/ids.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { loadTemplateCatalog } from '../../shared/templates/catalog.js';
import { workflowPolicyFrom } from '../../shared/workflow/policy-config.js';
import type { SubmitHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; sqs: SQSClient } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    sqs: sqsClientFor(config),
  },
): SubmitHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  const artifacts = artifactStoreFor(config, clients.s3, clock);
  return {
    clock,
    ids: randomIds,
    artifacts,
    tasks: writingTaskRepositoryFor(config, clients.doc, () => clients.sqs, artifacts, clock),
    queue: taskQueueFor(config, clients.sqs),
    uploads: new DynamoUploadStore({ client: clients.doc, tableName: config.TASKS_TABLE_NAME }),
    templates: loadTemplateCatalog(config.TEMPLATES_DIR),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, clock) },
    maxActiveTasksPerOwner: config.MAX_ACTIVE_TASKS_PER_OWNER,
    workflowPolicy: workflowPolicyFrom(config),
    catalog: catalogSourceFor(config, clients.s3, clock),
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    ...(config.WEBHOOK_QUEUE_URL
      ? {
          webhooks: {
            resolver: dnsResolver,
            policy: { allowLocalHttp: config.WEBHOOK_ALLOW_LOCAL_HTTP },
            secrets: new DynamoWebhookSecretStore({
              client: clients.doc,
              tableName: config.API_KEYS_TABLE_NAME,
            }),
          },
        }
      : {}),
  };
}
