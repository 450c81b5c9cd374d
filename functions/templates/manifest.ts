/** GET /v1/templates: the built-in templates (and TEMPLATES_DIR's) with their params' schemas. */
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'templates',
  description: 'GET /v1/templates',
  trigger: { kind: 'http', routes: ['listTemplates'] },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: [
    'TEMPLATES_DIR',
    'TASKS_TABLE_NAME',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'OWNER_RATE_LIMIT_PER_SECOND',
    'OWNER_RATE_LIMIT_BURST',
    'LOG_LEVEL',
  ],
  resources: [
    // The per-owner rate limit (its owners' RATE# items only).
    { table: 'tasks', access: 'rateLimit' },
  ],
});
