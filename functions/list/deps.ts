/** The list function's dependencies, built once per container from its own config. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClientsFor, s3ClientFor, s3PresignClientFor } from '../../shared/composition/aws.js';
import { ownerRateLimitFor } from '../../shared/composition/rate-limit.js';
import { artifactStoreFor, taskRepositoryFor } from '../../shared/composition/storage.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ListHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; s3Presign: S3Client } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    s3Presign: s3PresignClientFor(config),
  },
): ListHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  const artifacts = artifactStoreFor(config, clients.s3, systemClock, clients.s3Presign);
  return {
    artifacts,
    tasks: taskRepositoryFor(config, clients.doc, artifacts),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, systemClock) },
    outputUrlTtlSeconds: config.OUTPUT_URL_TTL_SECONDS,
  };
}
