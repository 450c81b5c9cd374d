/**
 * A function's SDK clients from its own config: the region and, against emulators, the endpoint of
 * each service. Each factory builds one service's client, so a function bundles only those it uses.
 */
import { createDynamoClients } from '../adapters/aws/dynamodb-clients.js';
import { createS3Client, createS3PresignClient } from '../adapters/aws/s3-client.js';
import { createSqsClient } from '../adapters/aws/sqs-client.js';
import type { Config } from '../config.js';

type Region = Pick<Config, 'AWS_REGION'>;

export const dynamoClientsFor = (c: Region & Pick<Config, 'AWS_ENDPOINT_URL_DYNAMODB'>) =>
  createDynamoClients({
    region: c.AWS_REGION,
    ...(c.AWS_ENDPOINT_URL_DYNAMODB ? { dynamodbEndpoint: c.AWS_ENDPOINT_URL_DYNAMODB } : {}),
  });

export const sqsClientFor = (c: Region & Pick<Config, 'AWS_ENDPOINT_URL_SQS'>) =>
  createSqsClient({
    region: c.AWS_REGION,
    ...(c.AWS_ENDPOINT_URL_SQS ? { sqsEndpoint: c.AWS_ENDPOINT_URL_SQS } : {}),
  });

export const s3ClientFor = (c: Region & Pick<Config, 'AWS_ENDPOINT_URL_S3'>) =>
  createS3Client({
    region: c.AWS_REGION,
    ...(c.AWS_ENDPOINT_URL_S3 ? { s3Endpoint: c.AWS_ENDPOINT_URL_S3 } : {}),
  });

/** The S3 client presigned links are made with (no checksum of an empty body in PUT links). */
export const s3PresignClientFor = (c: Region & Pick<Config, 'AWS_ENDPOINT_URL_S3'>) =>
  createS3PresignClient({
    region: c.AWS_REGION,
    ...(c.AWS_ENDPOINT_URL_S3 ? { s3Endpoint: c.AWS_ENDPOINT_URL_S3 } : {}),
  });
