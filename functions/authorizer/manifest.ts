/** The HTTP API's API-key authorizer: looks the key's hash up in the API keys table. */
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'authorizer',
  description: 'API key authorizer of the HTTP API',
  trigger: {
    kind: 'authorizer',
    identitySource: ['$request.header.x-api-key'],
    resultsCacheTtlSeconds: 300,
  },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: ['API_KEYS_TABLE_NAME', 'AWS_REGION', 'AWS_ENDPOINT_URL_DYNAMODB', 'LOG_LEVEL'],
  resources: [{ table: 'apiKeys', access: 'read' }],
});
