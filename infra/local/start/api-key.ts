/**
 * Creates the API key `npm start` prints. Provisional: it writes the ApiKeyRecord shape of
 * shared/ports/key-store.ts (sha256 hex of the key) straight to the keys table, until the API's
 * own key logic lands in shared/ and replaces this.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

export const LOCAL_OWNER = 'local-dev';

export async function createLocalApiKey(
  dynamodb: DynamoDBClient,
  table: string,
  owner = LOCAL_OWNER,
): Promise<{ key: string; keyId: string }> {
  const key = `csk_${randomBytes(24).toString('base64url')}`;
  const keyId = `key_${randomBytes(6).toString('hex')}`;
  await dynamodb.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        keyHash: { S: createHash('sha256').update(key).digest('hex') },
        keyId: { S: keyId },
        owner: { S: owner },
        createdAt: { S: new Date().toISOString() },
        label: { S: 'npm start' },
      },
    }),
  );
  return { key, keyId };
}
