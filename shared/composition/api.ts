/**
 * Builds the dependencies of the API functions from config, once per container: SDK clients, the real
 * adapters, the template catalog (built-ins + TEMPLATES_DIR), the logger and metrics.
 */

import { type AwsClients, createAwsClients } from '../adapters/aws/clients.js';
import { DynamoApiKeyStore } from '../adapters/dynamodb/api-key-store.js';
import { DynamoTaskRepository } from '../adapters/dynamodb/task-repository.js';
import { DynamoUploadStore } from '../adapters/dynamodb/upload-store.js';
import { S3ArtifactStore } from '../adapters/s3/artifact-store.js';
import { SqsTaskQueue } from '../adapters/sqs/task-queue.js';
import type { Config } from '../config.js';
import { randomIds } from '../domain/ids.js';
import { logger, metrics } from '../observability.js';
import { systemClock } from '../ports/clock.js';
import { loadTemplateCatalog } from '../templates/catalog.js';

export const awsClientsFor = (config: Config): AwsClients =>
  createAwsClients({
    region: config.AWS_REGION,
    ...(config.AWS_ENDPOINT_URL_DYNAMODB
      ? { dynamodbEndpoint: config.AWS_ENDPOINT_URL_DYNAMODB }
      : {}),
    ...(config.AWS_ENDPOINT_URL_SQS ? { sqsEndpoint: config.AWS_ENDPOINT_URL_SQS } : {}),
    ...(config.AWS_ENDPOINT_URL_S3 ? { s3Endpoint: config.AWS_ENDPOINT_URL_S3 } : {}),
  });

/** Everything any API handler factory takes (each uses the part it needs). */
export function buildApiDeps(config: Config, clients: AwsClients = awsClientsFor(config)) {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  const artifacts = new S3ArtifactStore({
    client: clients.s3,
    bucket: config.OUTPUTS_BUCKET_NAME,
    clock,
  });
  return {
    clock,
    ids: randomIds,
    artifacts,
    tasks: new DynamoTaskRepository({
      client: clients.doc,
      tableName: config.TASKS_TABLE_NAME,
      clock,
      retentionDays: config.TASK_RETENTION_DAYS,
      workflowStore: artifacts,
    }),
    queue: new SqsTaskQueue({ client: clients.sqs, queueUrl: config.DISPATCH_QUEUE_URL }),
    uploads: new DynamoUploadStore({ client: clients.doc, tableName: config.TASKS_TABLE_NAME }),
    templates: loadTemplateCatalog(config.TEMPLATES_DIR),
    obs: { logger, metrics },
    maxActiveTasksPerOwner: config.MAX_ACTIVE_TASKS_PER_OWNER,
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    uploadUrlTtlSeconds: config.UPLOAD_URL_TTL_SECONDS,
    outputUrlTtlSeconds: config.OUTPUT_URL_TTL_SECONDS,
  };
}

/** The API key authorizer's dependencies. */
export function buildAuthorizerDeps(config: Config, clients: AwsClients = awsClientsFor(config)) {
  logger.setLogLevel(config.LOG_LEVEL);
  return {
    keys: new DynamoApiKeyStore({ client: clients.doc, tableName: config.API_KEYS_TABLE_NAME }),
    logger,
  };
}
