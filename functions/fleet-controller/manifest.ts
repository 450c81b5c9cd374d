/**
 * The fleet controller: sizes the GPU fleet's Auto Scaling group to the queue. Started every minute,
 * by the dispatcher when a task finds no GPU up, and by the group's drain lifecycle events (the
 * FleetControl construct adds that rule). Deployed with the GPU fleet only: `npm start` runs the
 * same use case against its local fleet (infra/local/fleet).
 */

import { COMFY_CLIENT_CONFIG } from '../../shared/config.js';
import { FLEET_SETTINGS_CONFIG } from '../../shared/fleet/settings.js';
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'fleet-controller',
  description: 'Sizes the ComfyUI GPU group to the queue (every minute, on kicks and drain events)',
  trigger: { kind: 'schedule', rateMinutes: 1 },
  // One invocation ticks for FLEET_CONTROLLER_RUN_MS; the rest lets the last tick finish.
  timeoutSeconds: 70,
  memoryMb: 256,
  // It asks each ComfyUI's /queue whether it answers and how busy it is.
  vpc: true,
  config: [
    'TASKS_TABLE_NAME',
    'DISPATCH_QUEUE_URL',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_SQS',
    'COMFYUI_URLS',
    ...COMFY_CLIENT_CONFIG,
    'FLEET_GROUP_NAME',
    'FLEET_DRAIN_HOOK_NAME',
    ...FLEET_SETTINGS_CONFIG,
    'LOG_LEVEL',
  ],
  environment: { FLEET_CONTROLLER_RUN_MS: '50000' },
  resources: [
    // The registry item and the controller's lease.
    { table: 'tasks', access: 'readWrite' },
    // The backlog: messages waiting and in flight.
    { queue: 'dispatch', access: 'count' },
    { gpuFleet: 'gpus', access: 'control' },
  ],
});
