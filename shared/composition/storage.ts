/**
 * The storage side every function shares, built once per container from config: the SDK clients
 * (emulator endpoints when configured), the artifact store, the task repository (always given the
 * artifact store as its workflow store, so a large workflow written by one function can be read by
 * every other; writes raise webhook events) and the dispatch queue.
 */
import { type AwsClients, createAwsClients } from '../adapters/aws/clients.js';
import { DynamoTaskRepository } from '../adapters/dynamodb/task-repository.js';
import { S3ArtifactStore } from '../adapters/s3/artifact-store.js';
import { SqsTaskQueue } from '../adapters/sqs/task-queue.js';
import type { Config } from '../config.js';
import { systemClock } from '../ports/clock.js';
import { withWebhooks } from './webhook-emitter.js';

export const awsClientsFor = (config: Config): AwsClients =>
  createAwsClients({
    region: config.AWS_REGION,
    ...(config.AWS_ENDPOINT_URL_DYNAMODB
      ? { dynamodbEndpoint: config.AWS_ENDPOINT_URL_DYNAMODB }
      : {}),
    ...(config.AWS_ENDPOINT_URL_SQS ? { sqsEndpoint: config.AWS_ENDPOINT_URL_SQS } : {}),
    ...(config.AWS_ENDPOINT_URL_S3 ? { s3Endpoint: config.AWS_ENDPOINT_URL_S3 } : {}),
  });

export function buildStorage(config: Config, clients: AwsClients = awsClientsFor(config)) {
  const clock = systemClock;
  const artifacts = new S3ArtifactStore({
    client: clients.s3,
    presignClient: clients.s3Presign,
    bucket: config.OUTPUTS_BUCKET_NAME,
    clock,
  });
  const repository = new DynamoTaskRepository({
    client: clients.doc,
    tableName: config.TASKS_TABLE_NAME,
    clock,
    retentionDays: config.TASK_RETENTION_DAYS,
    workflowStore: artifacts,
  });
  return {
    clients,
    clock,
    artifacts,
    /** Writes through it raise the tasks' webhook events (when a webhook queue is configured). */
    tasks: withWebhooks(config, clients, repository),
    /** The repository itself (the webhook sender records deliveries on it). */
    repository,
    queue: new SqsTaskQueue({ client: clients.sqs, queueUrl: config.DISPATCH_QUEUE_URL }),
  };
}
