/** The cancel function's dependencies, built once per container from its own config. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  dynamoClientsFor,
  s3ClientFor,
  s3PresignClientFor,
  sqsClientFor,
} from '../../shared/composition/aws.js';
import { ownerRateLimitFor } from '../../shared/composition/rate-limit.js';
import { artifactStoreFor, writingTaskRepositoryFor } from '../../shared/composition/storage.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { CancelHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; s3Presign: S3Client } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    s3Presign: s3PresignClientFor(config),
  },
): CancelHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  const artifacts = artifactStoreFor(config, clients.s3, clock, clients.s3Presign);
  return {
    clock,
    artifacts,
    tasks: writingTaskRepositoryFor(
      config,
      clients.doc,
      () => sqsClientFor(config),
      artifacts,
      clock,
    ),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, clock) },
    outputUrlTtlSeconds: config.OUTPUT_URL_TTL_SECONDS,
  };
}
