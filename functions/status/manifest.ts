/** GET /v1/tasks/{taskId}: the caller's task, with presigned links to its outputs. */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'status',
  description: 'GET /v1/tasks/{taskId}',
  trigger: { kind: 'http', routes: ['getTask'] },
  // Long polling (GET /v1/tasks/{id}?wait=20) plus reading and presigning, inside API Gateway's
  // 30 s integration limit.
  timeoutSeconds: 28,
  memoryMb: 512,
  vpc: false,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_S3',
    'OUTPUT_URL_TTL_SECONDS',
    'LONG_POLL_INTERVAL_MS',
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    // The per-owner rate limit (its owners' RATE# items only; the rest of the table is read-only).
    { table: 'tasks', access: 'rateLimit' },
    { table: 'tasks', access: 'read' },
    // A large workflow is read back from S3 with its task.
    { bucket: 'outputs', keys: 'workflows/*', access: 'read' },
    { bucket: 'outputs', keys: 'outputs/*', access: 'read' },
  ],
});
