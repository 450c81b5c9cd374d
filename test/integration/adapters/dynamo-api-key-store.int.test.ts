/** DynamoApiKeyStore on DynamoDB Local: the shared contract and its failure translation. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyStore } from '../../../shared/adapters/dynamodb/api-key-store.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { apiKeyStoreContract } from '../../contract/api-key-store.contract.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

describe('DynamoApiKeyStore meets the ApiKeyStore contract', () => {
  apiKeyStoreContract(
    async () =>
      new DynamoApiKeyStore({ client: stack.clients.doc, tableName: stack.names.apiKeysTable }),
  );
});

describe('DynamoApiKeyStore failures', () => {
  it('turns an unreachable DynamoDB into DependencyUnavailableError', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const store = new DynamoApiKeyStore({
      client: DynamoDBDocumentClient.from(client),
      tableName: stack.names.apiKeysTable,
    });
    await expect(store.getByHash('x')).rejects.toBeInstanceOf(DependencyUnavailableError);
    client.destroy();
  });
});
