/**
 * The dispatcher's dependencies, built once per container from its own config: the storage adapters,
 * one HttpComfyClient per ComfyUI server (undici Pool with COMFYUI_CONNECTIONS sockets and the
 * COMFYUI_*_TIMEOUT_MS timeouts: a hung server must not use up the invocation on one call; GETs
 * retried COMFYUI_GET_RETRIES times), the message visibility of the dispatch queue, and the poller
 * kick when POLLER_FUNCTION_NAME is set. With COMFYUI_SERVERS=fleet the servers come from the fleet
 * registry, and a task that finds no GPU up asks the fleet controller for one.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { comfyClientCache } from '../../shared/adapters/comfyui/from-config.js';
import { LambdaPollerTrigger } from '../../shared/adapters/lambda/poller-trigger.js';
import { SqsMessageVisibility } from '../../shared/adapters/sqs/message-visibility.js';
import { dynamoClientsFor, s3ClientFor, sqsClientFor } from '../../shared/composition/aws.js';
import { fleetServersFor } from '../../shared/composition/fleet.js';
import {
  artifactStoreFor,
  taskQueueFor,
  writingTaskRepositoryFor,
} from '../../shared/composition/storage.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { type DispatcherDeps, settingsFromConfig } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; sqs: SQSClient } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
    sqs: sqsClientFor(config),
  },
): DispatcherDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  let lambda: LambdaClient | undefined;
  const lambdaClient = () => {
    lambda ??= new LambdaClient({ region: config.AWS_REGION });
    return lambda;
  };
  const artifacts = artifactStoreFor(config, clients.s3, clock);
  const clientFor = comfyClientCache(config);
  // With a GPU fleet, the servers are whatever the registry lists as ready (read once per few seconds).
  const fleet = fleetServersFor(config, clients.doc, clock);
  const controller = config.FLEET_CONTROLLER_FUNCTION_NAME
    ? new LambdaPollerTrigger({
        client: lambdaClient(),
        functionName: config.FLEET_CONTROLLER_FUNCTION_NAME,
        clock,
        minIntervalMs: 5000,
      })
    : undefined;
  return {
    tasks: writingTaskRepositoryFor(config, clients.doc, () => clients.sqs, artifacts, clock),
    artifacts,
    comfy: fleet ? [] : config.COMFYUI_URLS.map(clientFor),
    ...(fleet ? { servers: async () => (await fleet.ready()).map(clientFor) } : {}),
    ...(controller ? { wantGpu: () => controller.kick() } : {}),
    queue: taskQueueFor(config, clients.sqs),
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
            client: lambdaClient(),
            functionName: config.POLLER_FUNCTION_NAME,
            clock,
          }),
        }
      : {}),
  };
}
