/**
 * The dispatcher: SQS batches of queued tasks to ComfyUI, with partial batch failures, backpressure
 * (a full ComfyUI defers the task) and a kick of the poller once tasks reach ComfyUI.
 */
import { COMFY_CLIENT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';
import { DISPATCHER_TIMEOUT_SECONDS } from '../../shared/resources.js';

export const manifest = defineFunction({
  name: 'dispatcher',
  description: 'Sends queued tasks to ComfyUI (SQS batch, partial failures)',
  // maxConcurrency keeps a burst of submissions from opening hundreds of connections to one GPU
  // server; deployments can raise it (dispatchMaxConcurrency).
  trigger: { kind: 'sqs', queue: 'dispatch', batchSize: 10, maxConcurrency: 2 },
  // The dispatch queue's visibility timeout is six times this (shared/resources.ts).
  timeoutSeconds: DISPATCHER_TIMEOUT_SECONDS,
  memoryMb: 512,
  vpc: true,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'DISPATCH_QUEUE_URL',
    'POLLER_FUNCTION_NAME',
    'FLEET_CONTROLLER_FUNCTION_NAME',
    'WEBHOOK_QUEUE_URL',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_SQS',
    'AWS_ENDPOINT_URL_S3',
    'COMFYUI_URLS',
    'COMFYUI_SERVERS',
    'FLEET_REGISTRY_CACHE_MS',
    'FLEET_CAPACITY_WAIT_SECONDS',
    'FLEET_CAPACITY_POLL_SECONDS',
    'QUEUED_SWEEP_GRACE_SECONDS',
    ...COMFY_CLIENT_CONFIG,
    'COMFYUI_CLIENT_ID',
    'COMFYUI_QUEUE_CACHE_MS',
    'MAX_IN_FLIGHT',
    'MAX_AT_COMFY_PER_OWNER',
    'DISPATCH_CONCURRENCY',
    'DISPATCH_HOLD_MS',
    'DISPATCH_HOLD_POLL_MS',
    'DISPATCH_DEFER_BASE_SECONDS',
    'DISPATCH_DEFER_MAX_SECONDS',
    'DISPATCH_RECHECK_EVERY',
    'DISPATCH_CLAIM_SECONDS',
    'DISPATCH_RETRY_BASE_SECONDS',
    'DISPATCH_RETRY_MAX_SECONDS',
    'QUEUE_TIMEOUT_SECONDS',
    'TASK_RETENTION_DAYS',
    'LOG_LEVEL',
  ],
  resources: [
    // Task changes raise webhook events (when WEBHOOK_QUEUE_URL is set).
    { queue: 'webhook', access: 'send' },
    { table: 'tasks', access: 'readWrite' },
    // Uploaded input images are staged at ComfyUI; large workflows are read back.
    { bucket: 'outputs', keys: 'uploads/*', access: 'read' },
    { bucket: 'outputs', keys: 'workflows/*', access: 'read' },
    // Backpressure re-sends a fresh, delayed message instead of failing the receive.
    { queue: 'dispatch', access: 'send' },
    // Starts the poller after a dispatch, so results never wait for the next scheduled run.
    { function: 'poller', access: 'invoke' },
    // A task that finds no GPU up starts the fleet controller at once, not at its next minute.
    { function: 'fleet-controller', access: 'invoke' },
  ],
});
