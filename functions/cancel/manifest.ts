/**
 * POST /v1/tasks/{taskId}/cancel: cancels a task not yet at ComfyUI at once, or marks one at ComfyUI
 * for cancellation (the poller, or the dispatcher, then cancels the run there).
 */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'cancel',
  description: 'POST /v1/tasks/{taskId}/cancel',
  trigger: { kind: 'http', routes: ['cancelTask'] },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_S3',
    'OUTPUT_URL_TTL_SECONDS',
    'TASK_RETENTION_DAYS',
    'WEBHOOK_QUEUE_URL',
    'AWS_ENDPOINT_URL_SQS',
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    // Task changes raise webhook events (when WEBHOOK_QUEUE_URL is set).
    { queue: 'webhook', access: 'send' },
    { table: 'tasks', access: 'readWrite' },
    { bucket: 'outputs', keys: 'workflows/*', access: 'read' },
    { bucket: 'outputs', keys: 'outputs/*', access: 'read' },
  ],
});
