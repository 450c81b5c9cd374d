/**
 * A fresh set of resources (tables, queues, bucket) on the shared emulators, with the SDK clients
 * and a Config that points at them. Call once per test file (or per test for full isolation).
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { bootstrapLocalResources, type LocalResourceNames } from '../../infra/local/bootstrap.js';
import { type AwsClients, createAwsClients } from '../../shared/adapters/aws/clients.js';
import { type Config, loadConfig } from '../../shared/config.js';

export interface TestStack {
  names: LocalResourceNames;
  clients: AwsClients;
  endpoints: { dynamodb: string; s3: string; sqs: string };
  /** Environment variables a function would get (merge overrides for the test at hand). */
  env(overrides?: Record<string, string>): Record<string, string>;
  config(overrides?: Record<string, string>): Config;
}

export async function createTestStack(): Promise<TestStack> {
  const dynamodb = inject('dynamodbEndpoint');
  const s3sqs = inject('s3SqsEndpoint');
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: dynamodb,
    sqsEndpoint: s3sqs,
    s3Endpoint: s3sqs,
  });
  const suffix = `-${randomBytes(4).toString('hex')}`;
  const names = await bootstrapLocalResources(clients, suffix);
  const env = (overrides: Record<string, string> = {}) => ({
    TASKS_TABLE_NAME: names.tasksTable,
    API_KEYS_TABLE_NAME: names.apiKeysTable,
    OUTPUTS_BUCKET_NAME: names.bucket,
    DISPATCH_QUEUE_URL: names.queueUrl,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
    AWS_ENDPOINT_URL_SQS: s3sqs,
    AWS_ENDPOINT_URL_S3: s3sqs,
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'SILENT',
    // Tests of other behaviour send requests faster than an owner may; the rate-limit tests set it.
    OWNER_RATE_LIMIT_PER_SECOND: '0',
    ...overrides,
  });
  return {
    names,
    clients,
    endpoints: { dynamodb, s3: s3sqs, sqs: s3sqs },
    env,
    config: (overrides) => loadConfig(env(overrides)),
  };
}
