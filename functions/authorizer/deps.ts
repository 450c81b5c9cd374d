/** The authorizer's dependencies: the API key store (DynamoDB only). */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoApiKeyStore } from '../../shared/adapters/dynamodb/api-key-store.js';
import { dynamoClientsFor } from '../../shared/composition/aws.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger } from '../../shared/observability.js';
import type { AuthorizerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient } = { doc: dynamoClientsFor(config).doc },
): AuthorizerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  return {
    keys: new DynamoApiKeyStore({ client: clients.doc, tableName: config.API_KEYS_TABLE_NAME }),
    logger,
  };
}
