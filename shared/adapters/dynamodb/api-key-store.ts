/**
 * ApiKeyStore on DynamoDB: the API keys table (pk `keyHash`, GSI `byKeyId`). Lookups by hash are
 * strongly consistent, so a revocation is seen by the next request. Revoking reads the `byKeyId`
 * index, which is eventually consistent: a key revoked within a second of its creation may be
 * reported unknown (try again). `list` scans the table, which is fine for an admin command.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyStore, OwnerLimits } from '../../ports/key-store.js';
import { awsErrorName, translateAwsError } from '../aws/errors.js';

export interface DynamoApiKeyStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const FIELDS = ['keyHash', 'keyId', 'owner', 'createdAt', 'revokedAt', 'label', 'limits'] as const;

const fromItem = (item: Record<string, unknown>): ApiKeyRecord => {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if (item[f] !== undefined) out[f] = item[f];
  return out as unknown as ApiKeyRecord;
};

export class DynamoApiKeyStore implements ApiKeyStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(o: DynamoApiKeyStoreOptions) {
    this.client = o.client;
    this.table = o.tableName;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.call('storing an API key', () =>
      this.client.send(new PutCommand({ TableName: this.table, Item: fromItem({ ...record }) })),
    );
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.call('reading an API key', () =>
      this.client.send(
        new GetCommand({ TableName: this.table, Key: { keyHash }, ConsistentRead: true }),
      ),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async revoke(keyId: string, at: string): Promise<boolean> {
    const out = await this.call('finding an API key', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byKeyId',
          KeyConditionExpression: 'keyId = :k',
          ExpressionAttributeValues: { ':k': keyId },
        }),
      ),
    );
    let found = false;
    for (const item of out.Items ?? []) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { keyHash: item.keyHash },
            // The first revocation time stands.
            UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
            ConditionExpression: 'attribute_exists(keyHash)',
            ExpressionAttributeValues: { ':at': at },
          }),
        );
        found = true;
      } catch (err) {
        if (awsErrorName(err) !== 'ConditionalCheckFailedException')
          throw translateAwsError(err, 'DynamoDB (revoking an API key)');
      }
    }
    return found;
  }

  async list(owner?: string): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.call('listing API keys', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.table,
            ExclusiveStartKey: startKey,
            // Only key items (other credentials, e.g. webhook secrets, share the table).
            ...(owner === undefined
              ? {
                  FilterExpression: 'attribute_exists(#k)',
                  ExpressionAttributeNames: { '#k': 'keyId' },
                }
              : {
                  FilterExpression: '#o = :o AND attribute_exists(#k)',
                  ExpressionAttributeNames: { '#o': 'owner', '#k': 'keyId' },
                  ExpressionAttributeValues: { ':o': owner },
                }),
          }),
        ),
      );
      for (const item of out.Items ?? []) records.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return records.sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
    );
  }

  async setLimits(owner: string, limits: OwnerLimits | undefined): Promise<number> {
    let changed = 0;
    for (const record of await this.list(owner)) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { keyHash: record.keyHash },
            ConditionExpression: 'attribute_exists(keyHash)',
            ...(limits === undefined
              ? { UpdateExpression: 'REMOVE limits' }
              : {
                  UpdateExpression: 'SET limits = :l',
                  ExpressionAttributeValues: { ':l': limits },
                }),
          }),
        );
        changed++;
      } catch (err) {
        if (awsErrorName(err) !== 'ConditionalCheckFailedException')
          throw translateAwsError(err, 'DynamoDB (setting owner limits)');
      }
    }
    return changed;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateAwsError(err, `DynamoDB (${what})`);
    }
  }
}
