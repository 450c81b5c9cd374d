/** The create-upload function's dependencies, built once per container from its own config. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoUploadStore } from '../../shared/adapters/dynamodb/upload-store.js';
import { dynamoClientsFor, s3ClientFor, s3PresignClientFor } from '../../shared/composition/aws.js';
import { ownerRateLimitFor } from '../../shared/composition/rate-limit.js';
import { artifactStoreFor } from '../../shared/composition/storage.js';
import { randomIds } from '../../shared/domain/ids.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { CreateUploadHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; s3Presign: S3Client } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    s3Presign: s3PresignClientFor(config),
  },
): CreateUploadHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  return {
    clock,
    ids: randomIds,
    artifacts: artifactStoreFor(config, clients.s3, clock, clients.s3Presign),
    uploads: new DynamoUploadStore({ client: clients.doc, tableName: config.TASKS_TABLE_NAME }),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, clock) },
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    uploadUrlTtlSeconds: config.UPLOAD_URL_TTL_SECONDS,
  };
}
