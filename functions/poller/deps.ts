/**
 * The poller's dependencies, built once per container from its own config: the storage adapters, the
 * lease, the sweeper of queued tasks, the node catalogue publisher, the live progress session
 * (COMFYUI_EVENTS), and one HttpComfyClient (own undici Pool) per ComfyUI server, created on first use so tasks
 * of a server no longer in COMFYUI_URLS still finish.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { comfyClientCache } from '../../shared/adapters/comfyui/from-config.js';
import { WebSocketComfyEvents } from '../../shared/adapters/comfyui/ws-event-source.js';
import { DynamoPollerLease } from '../../shared/adapters/dynamodb/poller-lease.js';
import { S3NodeCatalogStore } from '../../shared/adapters/s3/node-catalog-store.js';
import { SharpImageConverter } from '../../shared/adapters/sharp/image-converter.js';
import { SqsWebhookQueue } from '../../shared/adapters/sqs/webhook-queue.js';
import { dynamoClientsFor, s3ClientFor, sqsClientFor } from '../../shared/composition/aws.js';
import { fleetServersFor } from '../../shared/composition/fleet.js';
import {
  artifactStoreFor,
  taskQueueFor,
  taskRepositoryFor,
} from '../../shared/composition/storage.js';
import { withWebhooks } from '../../shared/composition/webhook-emitter.js';
import { createLimiter } from '../../shared/limiter.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { ProgressSession } from '../../shared/poller/progress-session.js';
import { loopSettings, pollSettings, sweepSettings } from '../../shared/poller/settings.js';
import { type Clock, systemClock } from '../../shared/ports/clock.js';
import type { ProgressLog } from '../../shared/ports/progress-log.js';
import type { TaskRepository } from '../../shared/ports/task-repository.js';
import { catalogPublisher } from '../../shared/use-cases/publish-catalog.js';
import { createQueuedSweeper } from '../../shared/use-cases/sweep-queued.js';
import type { PollerHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

type PollerConfig = ConfigOf<typeof manifest>;

/** Live events of the busy servers while the poller runs (progress, early result fetches). */
function progressSessionFor(
  config: PollerConfig,
  sqs: SQSClient,
  repository: ProgressLog & Pick<TaskRepository, 'get'>,
  clock: Clock,
) {
  return new ProgressSession({
    events: new WebSocketComfyEvents({
      clientId: config.COMFYUI_CLIENT_ID,
      onError: (server, error) => logger.debug('ComfyUI WebSocket error', { server, error }),
    }),
    tasks: repository,
    clock,
    ...(config.WEBHOOK_QUEUE_URL
      ? { webhooks: new SqsWebhookQueue({ client: sqs, queueUrl: config.WEBHOOK_QUEUE_URL }) }
      : {}),
    writeIntervalMs: config.PROGRESS_WRITE_INTERVAL_MS,
    webhookIntervalMs: config.PROGRESS_WEBHOOK_INTERVAL_MS,
    log: { warn: (message, extra) => logger.warn(message, extra ?? {}) },
  });
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
  const repository = taskRepositoryFor(config, clients.doc, artifacts, clock);
  const tasks = withWebhooks(config, () => clients.sqs, repository);
  const queue = taskQueueFor(config, clients.sqs);
  const { everyMs, ...sweep } = sweepSettings(config);
  // One client per server, a server no longer in COMFYUI_URLS included (its tasks still finish).
  const comfyFor = comfyClientCache(config);
  // With a GPU fleet, the servers come from the registry (read once per few seconds).
  const fleet = fleetServersFor(config, clients.doc, clock);
  return {
    sweepQueued: createQueuedSweeper({ tasks, queue, clock, settings: sweep }, everyMs),
    clock,
    artifacts,
    tasks,
    queue,
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
    ...(config.COMFYUI_EVENTS
      ? { watch: () => progressSessionFor(config, clients.sqs, repository, clock) }
      : {}),
    limiter: createLimiter(config.POLLER_COPY_CONCURRENCY),
    converter: new SharpImageConverter(),
    settings: pollSettings(config),
    loop: loopSettings(config),
    metrics,
  } satisfies PollerHandlerDeps;
}
