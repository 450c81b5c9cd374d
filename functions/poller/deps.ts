/**
 * The poller's dependencies, built once per container from its own config: the storage adapters, the
 * lease, the node catalogue publisher, and one HttpComfyClient (own undici Pool) per ComfyUI server, created on first use so tasks
 * of a server no longer in COMFYUI_URLS still finish.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { comfyClientFor } from '../../shared/adapters/comfyui/from-config.js';
import { DynamoFleetRegistry } from '../../shared/adapters/dynamodb/fleet-registry.js';
import { DynamoPollerLease } from '../../shared/adapters/dynamodb/poller-lease.js';
import { S3NodeCatalogStore } from '../../shared/adapters/s3/node-catalog-store.js';
import { SharpImageConverter } from '../../shared/adapters/sharp/image-converter.js';
import { dynamoClientsFor, s3ClientFor, sqsClientFor } from '../../shared/composition/aws.js';
import {
  artifactStoreFor,
  taskQueueFor,
  writingTaskRepositoryFor,
} from '../../shared/composition/storage.js';
import { registryView } from '../../shared/fleet/registry-view.js';
import { createLimiter } from '../../shared/limiter.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { loopSettings, pollSettings } from '../../shared/poller/settings.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ComfyClient } from '../../shared/ports/comfy-client.js';
import { catalogPublisher } from '../../shared/use-cases/publish-catalog.js';
import type { PollerHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

type PollerConfig = ConfigOf<typeof manifest>;

/**
 * One client per base URL (as HttpComfyClient normalises it, which is what tasks record), built from
 * the configured pool settings; a server no longer in COMFYUI_URLS gets one on first use.
 */
export function comfyClientsFor(config: PollerConfig): (baseUrl: string) => ComfyClient {
  const clients = new Map<string, ComfyClient>();
  const add = (url: string) => {
    const c = comfyClientFor(url, config);
    clients.set(c.baseUrl, c);
    return c;
  };
  for (const u of config.COMFYUI_URLS) add(u);
  return (baseUrl) => clients.get(baseUrl) ?? add(baseUrl);
}

export function buildDeps(
  config: PollerConfig,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; sqs: SQSClient } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    sqs: sqsClientFor(config),
  },
) {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  const artifacts = artifactStoreFor(config, clients.s3, clock);
  const comfyFor = comfyClientsFor(config);
  // With a GPU fleet, the servers come from the registry (read once per few seconds).
  const fleet =
    config.COMFYUI_SERVERS === 'fleet'
      ? registryView(
          new DynamoFleetRegistry({ doc: clients.doc, tableName: config.TASKS_TABLE_NAME, clock }),
          clock,
          config.FLEET_REGISTRY_CACHE_MS,
        )
      : undefined;
  return {
    clock,
    artifacts,
    tasks: writingTaskRepositoryFor(config, clients.doc, () => clients.sqs, artifacts, clock),
    queue: taskQueueFor(config, clients.sqs),
    lease: new DynamoPollerLease({ doc: clients.doc, tableName: config.TASKS_TABLE_NAME, clock }),
    comfyFor,
    ...(fleet ? { serverGone: (url: string) => fleet.isGone(url) } : {}),
    publishCatalog: catalogPublisher(
      {
        servers: fleet ? () => fleet.ready() : config.COMFYUI_URLS,
        comfyFor,
        store: new S3NodeCatalogStore({ client: clients.s3, bucket: config.OUTPUTS_BUCKET_NAME }),
        clock,
      },
      config.CATALOG_REFRESH_SECONDS * 1000,
    ),
    limiter: createLimiter(config.POLLER_COPY_CONCURRENCY),
    converter: new SharpImageConverter(),
    settings: pollSettings(config),
    loop: loopSettings(config),
    metrics,
  } satisfies PollerHandlerDeps;
}
