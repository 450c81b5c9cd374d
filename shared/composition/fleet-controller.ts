/**
 * The fleet controller's dependencies from config, once per container: the Auto Scaling group and EC2
 * (the fleet), the registry and the lease in the tasks table, the backlog from SQS and the atComfy
 * index, and a GET /queue to each server as the probe of whether it answers and how busy it is.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AsgGpuFleet } from '../adapters/autoscaling/gpu-fleet.js';
import { AwsBacklogCounter } from '../adapters/aws/backlog-counter.js';
import type { AwsClients } from '../adapters/aws/clients.js';
import { comfyClientFor } from '../adapters/comfyui/from-config.js';
import { DynamoFleetRegistry } from '../adapters/dynamodb/fleet-registry.js';
import { DynamoPollerLease } from '../adapters/dynamodb/poller-lease.js';
import type { Config } from '../config.js';
import { fleetSettingsFromConfig } from '../fleet/settings.js';
import { logger } from '../observability.js';
import { systemClock } from '../ports/clock.js';
import type { ComfyClient } from '../ports/comfy-client.js';
import { awsClientsFor } from './storage.js';

/** ComfyUI's port on every fleet instance. */
export const FLEET_COMFY_PORT = 8188;

/** Prompts queued or running at a server, or `undefined` when it does not answer. */
export function comfyProbe(clientFor: (url: string) => ComfyClient) {
  return async (url: string): Promise<number | undefined> => {
    try {
      const q = await clientFor(url).getQueue();
      return q.running.length + q.pending.length;
    } catch {
      return undefined;
    }
  };
}

export function buildFleetControllerDeps(
  config: Config,
  clients: AwsClients = awsClientsFor(config),
) {
  logger.setLogLevel(config.LOG_LEVEL);
  if (!config.FLEET_GROUP_NAME)
    throw new Error('Invalid configuration: FLEET_GROUP_NAME is required');
  const clock = systemClock;
  const comfy = new Map<string, ComfyClient>();
  const clientFor = (url: string) => {
    let c = comfy.get(url);
    if (!c) {
      c = comfyClientFor(url, config);
      comfy.set(url, c);
    }
    return c;
  };
  return {
    fleet: new AsgGpuFleet({
      autoscaling: new AutoScalingClient({ region: config.AWS_REGION }),
      ec2: new EC2Client({ region: config.AWS_REGION }),
      groupName: config.FLEET_GROUP_NAME,
      drainHookName: config.FLEET_DRAIN_HOOK_NAME,
      port: FLEET_COMFY_PORT,
    }),
    registry: new DynamoFleetRegistry({
      doc: clients.doc,
      tableName: config.TASKS_TABLE_NAME,
      clock,
    }),
    backlog: new AwsBacklogCounter({
      sqs: clients.sqs,
      queueUrl: config.DISPATCH_QUEUE_URL,
      doc: clients.doc,
      tableName: config.TASKS_TABLE_NAME,
    }),
    lease: new DynamoPollerLease({
      doc: clients.doc,
      tableName: config.TASKS_TABLE_NAME,
      clock,
      name: 'fleet-controller',
    }),
    probe: comfyProbe(clientFor),
    clock,
    settings: fleetSettingsFromConfig(config),
  };
}
