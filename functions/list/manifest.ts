/** GET /v1/tasks: a page of the caller's tasks, newest first, with links to their outputs. */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'list',
  description: 'GET /v1/tasks',
  trigger: { kind: 'http', routes: ['listTasks'] },
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
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    // The per-owner rate limit (its owners' RATE# items only; the rest of the table is read-only).
    { table: 'tasks', access: 'rateLimit' },
    { table: 'tasks', access: 'read' },
    { bucket: 'outputs', keys: 'outputs/*', access: 'read' },
  ],
});
