/** The models function's dependencies: the cached node catalogue (S3) and the per-owner rate limit. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClientsFor, s3ClientFor } from '../../shared/composition/aws.js';
import { catalogSourceFor } from '../../shared/composition/catalog.js';
import { ownerRateLimitFor } from '../../shared/composition/rate-limit.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ModelsHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { s3: S3Client; doc: DynamoDBDocumentClient } = {
    s3: s3ClientFor(config),
    doc: dynamoClientsFor(config).doc,
  },
): ModelsHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  return {
    catalog: catalogSourceFor(config, clients.s3, systemClock),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, systemClock) },
  };
}
