/** Fails the tasks whose dispatch messages ran out of receives (COMFYUI_UNAVAILABLE). */
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'dead-letter',
  description: 'Fails the tasks whose dispatch messages were dead-lettered',
  trigger: { kind: 'sqs', queue: 'dispatchDeadLetter', batchSize: 10, maxConcurrency: 2 },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_S3',
    'TASK_RETENTION_DAYS',
    'WEBHOOK_QUEUE_URL',
    'AWS_ENDPOINT_URL_SQS',
    'LOG_LEVEL',
  ],
  resources: [
    // Task changes raise webhook events (when WEBHOOK_QUEUE_URL is set).
    { queue: 'webhook', access: 'send' },
    { table: 'tasks', access: 'readWrite' },
    // The repository reads a large workflow back from S3 when it returns the task it updated.
    { bucket: 'outputs', keys: 'workflows/*', access: 'read' },
  ],
});
