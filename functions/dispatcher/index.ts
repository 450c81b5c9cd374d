/** Lambda entry (CDK and the local runtime): configuration and adapters, built once per container. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { HttpComfyClient } from '../../shared/adapters/comfyui/http-comfy-client.js';
import { LambdaPollerTrigger } from '../../shared/adapters/lambda/poller-trigger.js';
import { SqsMessageVisibility } from '../../shared/adapters/sqs/message-visibility.js';
import { buildStorage } from '../../shared/composition/storage.js';
import { loadConfig } from '../../shared/config.js';
import { logger, metrics } from '../../shared/observability.js';
import { createHandler, settingsFromConfig } from './handler.js';

const config = loadConfig();
logger.setLogLevel(config.LOG_LEVEL);
const { clients, clock, artifacts, tasks, queue } = buildStorage(config);

export const handler = createHandler({
  tasks,
  artifacts,
  // Tight timeouts: a hung server must not use up the invocation (30 s) on one call.
  comfy: config.COMFYUI_URLS.map((baseUrl) =>
    HttpComfyClient.create({ baseUrl, connectTimeout: 3000, headersTimeout: 15_000 }),
  ),
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
