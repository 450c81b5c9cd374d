/**
 * The webhook sender: delivers the webhook events of tasks to their subscribers' URLs, signed, on the
 * Standard Webhooks retry schedule, and moves an event to the webhook dead-letter queue after its
 * last attempt. Outside the VPC: it needs the internet, not ComfyUI.
 */
import { defineFunction } from '../../shared/manifest.js';
import { WEBHOOK_SENDER_TIMEOUT_SECONDS } from '../../shared/resources.js';

export const manifest = defineFunction({
  name: 'webhook-sender',
  description:
    'Delivers signed webhook events to subscribers, with retries and a dead-letter queue',
  trigger: { kind: 'sqs', queue: 'webhook', batchSize: 10, maxConcurrency: 2 },
  // One attempt per record is at most WEBHOOK_TIMEOUT_MS (10 s); records of a batch run in parallel.
  timeoutSeconds: WEBHOOK_SENDER_TIMEOUT_SECONDS,
  memoryMb: 512,
  vpc: false,
  config: [
    'TASKS_TABLE_NAME',
    'API_KEYS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'WEBHOOK_QUEUE_URL',
    'WEBHOOK_DLQ_URL',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_SQS',
    'AWS_ENDPOINT_URL_S3',
    'OUTPUT_URL_TTL_SECONDS',
    'WEBHOOK_RETRY_DELAYS_SECONDS',
    'WEBHOOK_ALLOW_LOCAL_HTTP',
    'WEBHOOK_TIMEOUT_MS',
    'WEBHOOK_MAX_RESPONSE_BYTES',
    'LOG_LEVEL',
  ],
  resources: [
    // The task (the event's data) and its delivery records.
    { table: 'tasks', access: 'readWrite' },
    // The owner's signing secrets.
    { table: 'apiKeys', access: 'read' },
    // Fresh presigned links to the outputs, and a large workflow read back with its task.
    { bucket: 'outputs', keys: 'outputs/*', access: 'read' },
    { bucket: 'outputs', keys: 'workflows/*', access: 'read' },
    // A failed attempt sets its message's visibility to the next retry delay.
    { queue: 'webhook', access: 'changeVisibility' },
    // Events whose retries ran out.
    { queue: 'webhookDeadLetter', access: 'send' },
  ],
});
