/**
 * Builds the poller's dependencies from config, once per container: SDK clients, the DynamoDB/SQS/S3
 * adapters, the lease, the sweeper of queued tasks, and one HttpComfyClient (own undici Pool) per ComfyUI server, created on first
 * use so tasks of a server no longer in COMFYUI_URLS still finish.
 */
import type { AwsClients } from '../adapters/aws/clients.js';
import { comfyClientFor } from '../adapters/comfyui/from-config.js';
import { WebSocketComfyEvents } from '../adapters/comfyui/ws-event-source.js';
import { DynamoFleetRegistry } from '../adapters/dynamodb/fleet-registry.js';
import { DynamoPollerLease } from '../adapters/dynamodb/poller-lease.js';
import { S3NodeCatalogStore } from '../adapters/s3/node-catalog-store.js';
import { SharpImageConverter } from '../adapters/sharp/image-converter.js';
import { SqsWebhookQueue } from '../adapters/sqs/webhook-queue.js';
import type { Config } from '../config.js';
import { registryView } from '../fleet/registry-view.js';
import { createLimiter } from '../limiter.js';
import { logger, metrics } from '../observability.js';
import { ProgressSession } from '../poller/progress-session.js';
import { loopSettings, pollSettings, sweepSettings } from '../poller/settings.js';
import type { Clock } from '../ports/clock.js';
import type { ComfyClient } from '../ports/comfy-client.js';
import type { ProgressLog } from '../ports/progress-log.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { catalogPublisher } from '../use-cases/publish-catalog.js';
import { createQueuedSweeper } from '../use-cases/sweep-queued.js';
import { awsClientsFor, buildStorage } from './storage.js';

/**
 * One client per base URL (as HttpComfyClient normalises it, which is what tasks record), built from
 * the configured pool settings; a server no longer in COMFYUI_URLS gets one on first use.
 */
function comfyClientsFor(config: Config): (baseUrl: string) => ComfyClient {
  const clients = new Map<string, ComfyClient>();
  const add = (url: string) => {
    const c = comfyClientFor(url, config);
    clients.set(c.baseUrl, c);
    return c;
  };
  for (const u of config.COMFYUI_URLS) add(u);
  return (baseUrl) => clients.get(baseUrl) ?? add(baseUrl);
}

/** Live events of the busy servers while the poller runs (progress, early result fetches). */
function progressSessionFor(
  config: Config,
  clients: AwsClients,
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
      ? {
          webhooks: new SqsWebhookQueue({
            client: clients.sqs,
            queueUrl: config.WEBHOOK_QUEUE_URL,
          }),
        }
      : {}),
    writeIntervalMs: config.PROGRESS_WRITE_INTERVAL_MS,
    webhookIntervalMs: config.PROGRESS_WEBHOOK_INTERVAL_MS,
    log: { warn: (message, extra) => logger.warn(message, extra ?? {}) },
  });
}

export function buildPollerDeps(config: Config, clients: AwsClients = awsClientsFor(config)) {
  logger.setLogLevel(config.LOG_LEVEL);
  const { clock, artifacts, tasks, queue, repository } = buildStorage(config, clients);
  const { everyMs, ...sweep } = sweepSettings(config);
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
      ? { watch: () => progressSessionFor(config, clients, repository, clock) }
      : {}),
    limiter: createLimiter(config.POLLER_COPY_CONCURRENCY),
    converter: new SharpImageConverter(),
    settings: pollSettings(config),
    loop: loopSettings(config),
    metrics,
  };
}
