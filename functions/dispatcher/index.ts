/** Lambda entry (CDK and the local runtime): configuration and adapters, built once per container. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { HttpComfyClient } from '../../shared/adapters/comfyui/http-comfy-client.js';
import { DynamoFleetRegistry } from '../../shared/adapters/dynamodb/fleet-registry.js';
import { LambdaPollerTrigger } from '../../shared/adapters/lambda/poller-trigger.js';
import { SqsMessageVisibility } from '../../shared/adapters/sqs/message-visibility.js';
import { buildStorage } from '../../shared/composition/storage.js';
import { loadConfig } from '../../shared/config.js';
import { registryView } from '../../shared/fleet/registry-view.js';
import { logger, metrics } from '../../shared/observability.js';
import type { ComfyClient } from '../../shared/ports/comfy-client.js';
import { createHandler, settingsFromConfig } from './handler.js';

const config = loadConfig();
logger.setLogLevel(config.LOG_LEVEL);
const { clients, clock, artifacts, tasks, queue } = buildStorage(config);

// Tight timeouts: a hung server must not use up the invocation (30 s) on one call.
const comfyClients = new Map<string, ComfyClient>();
const clientFor = (baseUrl: string): ComfyClient => {
  let c = comfyClients.get(baseUrl);
  if (!c) {
    c = HttpComfyClient.create({ baseUrl, connectTimeout: 3000, headersTimeout: 15_000 });
    comfyClients.set(baseUrl, c);
  }
  return c;
};
// With a GPU fleet, the servers are whatever the registry lists as ready (read once per few seconds).
const fleet =
  config.COMFYUI_SERVERS === 'fleet'
    ? registryView(
        new DynamoFleetRegistry({ doc: clients.doc, tableName: config.TASKS_TABLE_NAME, clock }),
        clock,
        config.FLEET_REGISTRY_CACHE_MS,
      )
    : undefined;
const controller = config.FLEET_CONTROLLER_FUNCTION_NAME
  ? new LambdaPollerTrigger({
      client: new LambdaClient({ region: config.AWS_REGION }),
      functionName: config.FLEET_CONTROLLER_FUNCTION_NAME,
      clock,
      minIntervalMs: 5000,
    })
  : undefined;

export const handler = createHandler({
  tasks,
  artifacts,
  comfy: fleet ? [] : config.COMFYUI_URLS.map(clientFor),
  ...(fleet ? { servers: async () => (await fleet.ready()).map(clientFor) } : {}),
  ...(controller ? { wantGpu: () => controller.kick() } : {}),
  queue,
  visibility: new SqsMessageVisibility({
    client: clients.sqs,
    queueUrl: config.DISPATCH_QUEUE_URL,
  }),
  clock,
  settings: settingsFromConfig(config),
  metrics,
  ...(config.POLLER_FUNCTION_NAME
    ? {
        pollerTrigger: new LambdaPollerTrigger({
          client: new LambdaClient({ region: config.AWS_REGION }),
          functionName: config.POLLER_FUNCTION_NAME,
          clock,
        }),
      }
    : {}),
});
