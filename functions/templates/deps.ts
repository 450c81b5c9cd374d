/** The templates function's dependencies: the template catalog and the per-owner rate limit. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClientsFor } from '../../shared/composition/aws.js';
import { ownerRateLimitFor } from '../../shared/composition/rate-limit.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { loadTemplateCatalog } from '../../shared/templates/catalog.js';
import type { TemplatesHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient } = { doc: dynamoClientsFor(config).doc },
): TemplatesHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  return {
    templates: loadTemplateCatalog(config.TEMPLATES_DIR),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, systemClock) },
  };
}
