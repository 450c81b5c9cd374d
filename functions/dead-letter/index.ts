/** Lambda entry (CDK and the local runtime) of the dead-letter consumer. */
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import { DynamoTaskRepository } from '../../shared/adapters/dynamodb/task-repository.js';
import { S3ArtifactStore } from '../../shared/adapters/s3/artifact-store.js';
import { loadConfig } from '../../shared/config.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { createHandler } from './handler.js';

const config = loadConfig();
logger.setLogLevel(config.LOG_LEVEL);
const aws = createAwsClients({
  region: config.AWS_REGION,
  dynamodbEndpoint: config.AWS_ENDPOINT_URL_DYNAMODB,
  s3Endpoint: config.AWS_ENDPOINT_URL_S3,
});

export const handler = createHandler({
  tasks: new DynamoTaskRepository({
    client: aws.doc,
    tableName: config.TASKS_TABLE_NAME,
    retentionDays: config.TASK_RETENTION_DAYS,
    // Large workflows live in S3; the repository reads them back when it returns a task.
    workflowStore: new S3ArtifactStore({ client: aws.s3, bucket: config.OUTPUTS_BUCKET_NAME }),
  }),
  clock: systemClock,
  metrics,
});
