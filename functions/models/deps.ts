/** The models function's dependencies: the cached node catalogue (S3 only). */
import type { S3Client } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../../shared/composition/aws.js';
import { catalogSourceFor } from '../../shared/composition/catalog.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ModelsHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { s3: S3Client } = { s3: s3ClientFor(config) },
): ModelsHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  return { catalog: catalogSourceFor(config, clients.s3, systemClock), obs: { logger, metrics } };
}
