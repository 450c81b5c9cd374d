/**
 * One SDK client per service per container, built from config. Against emulators, S3 is path-style
 * and SQS uses the configured endpoint rather than the QueueUrl's host (fauxqs hands out
 * `sqs.<region>.localhost` URLs that do not resolve here). Each service has its own factory module,
 * so a function bundles only the SDK clients it builds; `createAwsClients` builds all of them (tools,
 * the local runtime and tests).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClients } from './dynamodb-clients.js';
import { notifyAwsClients } from './observers.js';
import { createS3Client, createS3PresignClient } from './s3-client.js';
import { createSqsClient } from './sqs-client.js';

export { observeAwsClients } from './observers.js';

export interface AwsClientConfig {
  region: string;
  dynamodbEndpoint?: string;
  sqsEndpoint?: string;
  s3Endpoint?: string;
}

export interface AwsClients {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
  /** S3 for presigning only (see createS3PresignClient). */
  s3Presign: S3Client;
}

export function createAwsClients(cfg: AwsClientConfig): AwsClients {
  const clients = {
    ...createDynamoClients(cfg, { observe: false }),
    sqs: createSqsClient(cfg, { observe: false }),
    s3: createS3Client(cfg, { observe: false }),
    s3Presign: createS3PresignClient(cfg),
  };
  notifyAwsClients(clients);
  return clients;
}
