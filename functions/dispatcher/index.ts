/** Lambda entry (CDK and the local runtime): configuration and adapters, built once per container. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import { HttpComfyClient } from '../../shared/adapters/comfyui/index.js';
import { DynamoTaskRepository } from '../../shared/adapters/dynamodb/task-repository.js';
import { LambdaPollerTrigger } from '../../shared/adapters/lambda/poller-trigger.js';
import { S3ArtifactStore } from '../../shared/adapters/s3/artifact-store.js';
import { SqsMessageVisibility } from '../../shared/adapters/sqs/message-visibility.js';
import { SqsTaskQueue } from '../../shared/adapters/sqs/task-queue.js';
import { loadConfig } from '../../shared/config.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { createHandler, settingsFromConfig } from './handler.js';

const config = loadConfig();
logger.setLogLevel(config.LOG_LEVEL);
const aws = createAwsClients({
  region: config.AWS_REGION,
  dynamodbEndpoint: config.AWS_ENDPOINT_URL_DYNAMODB,
  sqsEndpoint: config.AWS_ENDPOINT_URL_SQS,
  s3Endpoint: config.AWS_ENDPOINT_URL_S3,
});
const artifacts = new S3ArtifactStore({ client: aws.s3, bucket: config.OUTPUTS_BUCKET_NAME });

export const handler = createHandler({
  tasks: new DynamoTaskRepository({
    client: aws.doc,
    tableName: config.TASKS_TABLE_NAME,
    retentionDays: config.TASK_RETENTION_DAYS,
    workflowStore: artifacts,
  }),
  artifacts,
  // Tight timeouts: a hung server must not use up the invocation (30 s) on one call.
  comfy: config.COMFYUI_URLS.map((baseUrl) =>
    HttpComfyClient.create({ baseUrl, connectTimeout: 3000, headersTimeout: 15_000 }),
  ),
  queue: new SqsTaskQueue({ client: aws.sqs, queueUrl: config.DISPATCH_QUEUE_URL }),
  visibility: new SqsMessageVisibility({ client: aws.sqs, queueUrl: config.DISPATCH_QUEUE_URL }),
  clock: systemClock,
  settings: settingsFromConfig(config),
  metrics,
  ...(config.POLLER_FUNCTION_NAME
    ? {
        pollerTrigger: new LambdaPollerTrigger({
          client: new LambdaClient({ region: config.AWS_REGION }),
          functionName: config.POLLER_FUNCTION_NAME,
          clock: systemClock,
        }),
      }
    : {}),
});
