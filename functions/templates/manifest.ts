/** GET /v1/templates: the built-in templates (and TEMPLATES_DIR's) with their params' schemas. */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
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
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    // The per-owner rate limit (its owners' RATE# items only).
    { table: 'tasks', access: 'rateLimit' },
  ],
});
