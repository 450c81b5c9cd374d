/**
 * One SDK client per service per container, built from config. Against emulators, S3 is path-style
 * and SQS uses the configured endpoint rather than the QueueUrl's host (fauxqs hands out
 * `sqs.<region>.localhost` URLs that do not resolve here).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
  /**
   * S3 for presigning only: checksums computed only when an operation requires them. With the
   * default (WHEN_SUPPORTED, SDK >= 3.729) a presigned PUT carries `x-amz-checksum-crc32` of an
   * empty body, which S3 checks against the file the app later PUTs, and refuses it.
   */
  s3Presign: S3Client;
}

/** Called with every set of clients `createAwsClients` builds (see `observeAwsClients`). */
export type AwsClientsObserver = (clients: AwsClients) => void;
const observers = new Set<AwsClientsObserver>();

/**
 * Hands every set of clients built from now on in this process to `observer`, e.g. so a benchmark can
 * attach a `RequestCounter` to each function's clients. Returns a function that stops observing.
 * Production code never registers one.
 */
export function observeAwsClients(observer: AwsClientsObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

export function createAwsClients(cfg: AwsClientConfig): AwsClients {
  const dynamodb = new DynamoDBClient({
    region: cfg.region,
    ...(cfg.dynamodbEndpoint ? { endpoint: cfg.dynamodbEndpoint } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const sqs = new SQSClient({
    region: cfg.region,
    ...(cfg.sqsEndpoint ? { endpoint: cfg.sqsEndpoint, useQueueUrlAsEndpoint: false } : {}),
  });
  const s3Options = {
    region: cfg.region,
    ...(cfg.s3Endpoint ? { endpoint: cfg.s3Endpoint, forcePathStyle: true } : {}),
  };
  const s3 = new S3Client(s3Options);
  const s3Presign = new S3Client({ ...s3Options, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const clients = { dynamodb, doc, sqs, s3, s3Presign };
  for (const observe of observers) observe(clients);
  return clients;
}
