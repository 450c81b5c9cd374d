/** GET /v1/models: the model files the ComfyUI servers have, from the published node catalogue. */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';
import { keys } from '../../shared/resources.js';

export const manifest = defineFunction({
  name: 'models',
  description: 'GET /v1/models',
  trigger: { kind: 'http', routes: ['listModels'] },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: [
    'OUTPUTS_BUCKET_NAME',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_S3',
    'CATALOG_CACHE_SECONDS',
    'TASKS_TABLE_NAME',
    'AWS_ENDPOINT_URL_DYNAMODB',
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    { bucket: 'outputs', keys: keys.catalog, access: 'read' },
    // The per-owner rate limit (its owners' RATE# items only).
    { table: 'tasks', access: 'rateLimit' },
  ],
});
