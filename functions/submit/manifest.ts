/** POST /v1/tasks: validates a workflow or template, stores the task and queues it for dispatch. */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';
import { keys } from '../../shared/resources.js';

export const manifest = defineFunction({
  name: 'submit',
  description: 'POST /v1/tasks',
  trigger: { kind: 'http', routes: ['submitTask'] },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'DISPATCH_QUEUE_URL',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_SQS',
    'AWS_ENDPOINT_URL_S3',
    'MAX_ACTIVE_TASKS_PER_OWNER',
    'TASK_RETENTION_DAYS',
    'UPLOAD_MAX_BYTES',
    'TEMPLATES_DIR',
    'WORKFLOW_NODE_POLICY',
    'WORKFLOW_DENY_NODES',
    'WORKFLOW_ALLOW_NODES',
    'WORKFLOW_MAX_NODES',
    'WORKFLOW_MAX_PIXELS',
    'WORKFLOW_MAX_BATCH',
    'WORKFLOW_MAX_STEPS',
    'WORKFLOW_MAX_FRAMES',
    'WORKFLOW_MAX_UPSCALE',
    'CATALOG_CACHE_SECONDS',
    'WEBHOOK_QUEUE_URL',
    'WEBHOOK_ALLOW_LOCAL_HTTP',
    'API_KEYS_TABLE_NAME',
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    // Task changes raise webhook events (when WEBHOOK_QUEUE_URL is set).
    { queue: 'webhook', access: 'send' },
    { table: 'tasks', access: 'readWrite' },
    // A webhook is taken only from an owner with a signing secret.
    { table: 'apiKeys', access: 'read' },
    { queue: 'dispatch', access: 'send' },
    // The referenced uploads must exist (HEAD).
    { bucket: 'outputs', keys: 'uploads/*', access: 'read' },
    // A large workflow is stored, replayed (same idempotency key) or dropped here.
    { bucket: 'outputs', keys: 'workflows/*', access: 'readWrite' },
    // Pre-flight validation against the servers' node catalogue.
    { bucket: 'outputs', keys: keys.catalog, access: 'read' },
  ],
});
