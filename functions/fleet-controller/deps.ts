/**
 * The fleet controller's dependencies, built once per container from its own config: the Auto
 * Scaling group and EC2 (the fleet), the registry and the lease in the tasks table, the backlog from
 * SQS and the atComfy index, and a GET /queue to each server as the probe of whether it answers and
 * how busy it is.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AsgGpuFleet } from '../../shared/adapters/autoscaling/gpu-fleet.js';
import { AwsBacklogCounter } from '../../shared/adapters/aws/backlog-counter.js';
import { comfyClientCache } from '../../shared/adapters/comfyui/from-config.js';
import { DynamoFleetRegistry } from '../../shared/adapters/dynamodb/fleet-registry.js';
import { DynamoPollerLease } from '../../shared/adapters/dynamodb/poller-lease.js';
import { dynamoClientsFor, sqsClientFor } from '../../shared/composition/aws.js';
import { comfyProbe } from '../../shared/fleet/probe.js';
import { fleetSettingsFromConfig } from '../../shared/fleet/settings.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { COMFY_PORT } from '../../shared/resources.js';
import type { FleetControllerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(config: ConfigOf<typeof manifest>): FleetControllerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  if (!config.FLEET_GROUP_NAME)
    throw new Error('Invalid configuration: FLEET_GROUP_NAME is required');
  const clock = systemClock;
  const { doc } = dynamoClientsFor(config);
  return {
    fleet: new AsgGpuFleet({
      autoscaling: new AutoScalingClient({ region: config.AWS_REGION }),
      ec2: new EC2Client({ region: config.AWS_REGION }),
      groupName: config.FLEET_GROUP_NAME,
      drainHookName: config.FLEET_DRAIN_HOOK_NAME,
      port: COMFY_PORT,
    }),
    registry: new DynamoFleetRegistry({ doc, tableName: config.TASKS_TABLE_NAME, clock }),
    backlog: new AwsBacklogCounter({
      sqs: sqsClientFor(config),
      queueUrl: config.DISPATCH_QUEUE_URL,
      doc,
      tableName: config.TASKS_TABLE_NAME,
    }),
    lease: new DynamoPollerLease({
      doc,
      tableName: config.TASKS_TABLE_NAME,
      clock,
      name: 'fleet-controller',
    }),
    probe: comfyProbe(comfyClientCache(config)),
    clock,
    metrics,
    settings: fleetSettingsFromConfig(config),
  };
}
