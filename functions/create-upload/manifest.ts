/** POST /v1/uploads: records an announced input image and returns a presigned PUT for it. */
import { OWNER_RATE_LIMIT_CONFIG } from '../../shared/config.js';
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'create-upload',
  description: 'POST /v1/uploads',
  trigger: { kind: 'http', routes: ['createUpload'] },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: [
    'TASKS_TABLE_NAME',
    'OUTPUTS_BUCKET_NAME',
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_S3',
    'UPLOAD_MAX_BYTES',
    'UPLOAD_URL_TTL_SECONDS',
    ...OWNER_RATE_LIMIT_CONFIG,
    'LOG_LEVEL',
  ],
  resources: [
    { table: 'tasks', access: 'readWrite' },
    // Presigned upload links.
    { bucket: 'outputs', keys: 'uploads/*', access: 'put' },
  ],
});
