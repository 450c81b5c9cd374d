/**
 * Builds the dependencies of the API functions from config, once per container: SDK clients, the real
 * adapters, the template catalog (built-ins + TEMPLATES_DIR), the logger and metrics.
 */

import type { AwsClients } from '../adapters/aws/clients.js';
import { DynamoApiKeyStore } from '../adapters/dynamodb/api-key-store.js';
import { DynamoUploadStore } from '../adapters/dynamodb/upload-store.js';
import { DynamoWebhookSecretStore } from '../adapters/dynamodb/webhook-secret-store.js';
import { S3NodeCatalogStore } from '../adapters/s3/node-catalog-store.js';
import { dnsResolver } from '../adapters/webhooks/dns-resolver.js';
import { cachedCatalog } from '../catalog/catalog-cache.js';
import type { Config } from '../config.js';
import { randomIds } from '../domain/ids.js';
import { logger, metrics } from '../observability.js';
import { loadTemplateCatalog } from '../templates/catalog.js';
import { workflowPolicyFrom } from '../workflow/policy-config.js';
import { ownerRateLimitFor } from './rate-limit.js';
import { awsClientsFor, buildStorage } from './storage.js';

export { awsClientsFor } from './storage.js';

/** Everything any API handler factory takes (each uses the part it needs). */
export function buildApiDeps(config: Config, clients: AwsClients = awsClientsFor(config)) {
  logger.setLogLevel(config.LOG_LEVEL);
  const { clock, artifacts, tasks, queue } = buildStorage(config, clients);
  return {
    clock,
    ids: randomIds,
    artifacts,
    tasks,
    queue,
    uploads: new DynamoUploadStore({ client: clients.doc, tableName: config.TASKS_TABLE_NAME }),
    templates: loadTemplateCatalog(config.TEMPLATES_DIR),
    obs: { logger, metrics, ...ownerRateLimitFor(config, clients.doc, clock) },
    maxActiveTasksPerOwner: config.MAX_ACTIVE_TASKS_PER_OWNER,
    workflowPolicy: workflowPolicyFrom(config),
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    uploadUrlTtlSeconds: config.UPLOAD_URL_TTL_SECONDS,
    outputUrlTtlSeconds: config.OUTPUT_URL_TTL_SECONDS,
    longPollIntervalMs: config.LONG_POLL_INTERVAL_MS,
    ...(config.WEBHOOK_QUEUE_URL
      ? {
          webhooks: {
            resolver: dnsResolver,
            policy: { allowLocalHttp: config.WEBHOOK_ALLOW_LOCAL_HTTP },
            secrets: new DynamoWebhookSecretStore({
              client: clients.doc,
              tableName: config.API_KEYS_TABLE_NAME,
            }),
          },
        }
      : {}),
    catalog: cachedCatalog(
      new S3NodeCatalogStore({ client: clients.s3, bucket: config.OUTPUTS_BUCKET_NAME }),
      clock,
      config.CATALOG_CACHE_SECONDS * 1000,
      (err) =>
        logger.warn('node catalogue not read; submits are not checked against it', {
          error: String(err),
        }),
    ),
  };
}

/** The API key authorizer's dependencies. */
export function buildAuthorizerDeps(config: Config, clients: AwsClients = awsClientsFor(config)) {
  logger.setLogLevel(config.LOG_LEVEL);
  return {
    keys: new DynamoApiKeyStore({ client: clients.doc, tableName: config.API_KEYS_TABLE_NAME }),
    logger,
  };
}
