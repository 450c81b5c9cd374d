/**
 * The poller: started every minute (and by the dispatcher after a dispatch), it polls ComfyUI's queue
 * and history for the tasks at ComfyUI, copies finished outputs from /view into S3, removes stale
 * outputs of earlier runs, publishes the servers' node catalogue, cancels runs marked for cancellation and re-queues tasks ComfyUI lost.
 */
import { COMFY_CLIENT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';
import { keys } from '../../shared/resources.js';

export const manifest = defineFunction({
  name: 'poller',
  description: 'Polls ComfyUI for task progress and copies outputs to S3 (every minute)',
  trigger: { kind: 'schedule', rateMinutes: 1 },
  // One run polls for POLLER_RUN_MS; the rest of the timeout lets copies in flight finish.
  timeoutSeconds: 90,
  // More memory is more CPU and network for streaming outputs from ComfyUI to S3.
  memoryMb: 1024,
  // sharp converts outputs to the format a task asks for (webp, jpeg, png).
  nativeModules: ['sharp'],
  vpc: true,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'DISPATCH_QUEUE_URL',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_SQS',
    'AWS_ENDPOINT_URL_S3',
    'COMFYUI_URLS',
    'COMFYUI_SERVERS',
    'FLEET_REGISTRY_CACHE_MS',
    ...COMFY_CLIENT_CONFIG,
    'COMFYUI_CLIENT_ID',
    'COMFYUI_EVENTS',
    'PROGRESS_WRITE_INTERVAL_MS',
    'PROGRESS_WEBHOOK_INTERVAL_MS',
    'MAX_OUTPUTS_PER_TASK',
    'QUEUED_SWEEP_GRACE_SECONDS',
    'QUEUED_SWEEP_MAX_RESENDS',
    'QUEUED_SWEEP_EVERY_SECONDS',
    'MAX_REQUEUES',
    'RUN_TIMEOUT_SECONDS',
    'QUEUE_TIMEOUT_SECONDS',
    'POLL_INTERVAL_MS',
    'POLLER_RUN_MS',
    'POLLER_LEASE_MS',
    'POLLER_TIMEOUT_MARGIN_MS',
    'POLLER_IDLE_GRACE_MS',
    'POLLER_COPY_CONCURRENCY',
    'POLLER_LOST_AFTER_POLLS',
    'POLLER_LOST_GRACE_MS',
    'OUTPUT_COPY_MAX_ATTEMPTS',
    'OUTPUT_COPY_MAX_SECONDS',
    'OUTPUT_COPY_RETRY_BASE_MS',
    'CATALOG_REFRESH_SECONDS',
    'TASK_RETENTION_DAYS',
    'WEBHOOK_QUEUE_URL',
    'LOG_LEVEL',
  ],
  environment: { POLLER_RUN_MS: '55000' },
  resources: [
    // Task changes raise webhook events (when WEBHOOK_QUEUE_URL is set).
    { queue: 'webhook', access: 'send' },
    // Task writes and the lease item.
    { table: 'tasks', access: 'readWrite' },
    // An output already copied is not copied again (HEAD); stale outputs of earlier runs are removed.
    { bucket: 'outputs', keys: 'outputs/*', access: 'read' },
    { bucket: 'outputs', keys: 'outputs/*', access: 'put' },
    { bucket: 'outputs', keys: 'outputs/*', access: 'delete' },
    { bucket: 'outputs', keys: 'workflows/*', access: 'read' },
    // It publishes the servers' node catalogue (read first: unchanged, it is not written again).
    { bucket: 'outputs', keys: keys.catalog, access: 'read' },
    { bucket: 'outputs', keys: keys.catalog, access: 'put' },
    // Tasks ComfyUI lost are re-queued.
    { queue: 'dispatch', access: 'send' },
  ],
});
