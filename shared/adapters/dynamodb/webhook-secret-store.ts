/**
 * WebhookSecretStore on DynamoDB: one item per owner in the API keys table, `keyHash` =
 * `WHSEC#<owner>` (never a sha256 hex, so it cannot meet an API key lookup), with no `keyId` (so it
 * stays out of the key index and key listings). Reads are strongly consistent.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { OwnerWebhookSecrets, WebhookSecretStore } from '../../ports/webhook-secrets.js';
import { awsErrorName, translateAwsError } from '../aws/errors.js';

const webhookSecretPk = (owner: string) => `WHSEC#${encodeURIComponent(owner)}`;

const FIELDS = ['owner', 'current', 'createdAt', 'previous', 'previousUntil'] as const;

function fromItem(item: Record<string, unknown>): OwnerWebhookSecrets {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if (item[f] !== undefined) out[f] = item[f];
  out.owner = item.secretOwner;
  return out as unknown as OwnerWebhookSecrets;
}

function toItem(s: OwnerWebhookSecrets): Record<string, unknown> {
  const { owner, ...rest } = s;
  return { keyHash: webhookSecretPk(owner), secretOwner: owner, ...rest };
}

export class DynamoWebhookSecretStore implements WebhookSecretStore {
  constructor(private readonly o: { client: DynamoDBDocumentClient; tableName: string }) {}

  async get(owner: string): Promise<OwnerWebhookSecrets | undefined> {
    try {
      const out = await this.o.client.send(
        new GetCommand({
          TableName: this.o.tableName,
          Key: { keyHash: webhookSecretPk(owner) },
          ConsistentRead: true,
        }),
      );
      return out.Item ? fromItem(out.Item) : undefined;
    } catch (err) {
      throw translateAwsError(err, 'DynamoDB (reading a webhook secret)');
    }
  }

  async createIfAbsent(secrets: OwnerWebhookSecrets): Promise<boolean> {
    try {
      await this.o.client.send(
        new PutCommand({
          TableName: this.o.tableName,
          Item: toItem(secrets),
          ConditionExpression: 'attribute_not_exists(keyHash)',
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException') return false;
      throw translateAwsError(err, 'DynamoDB (storing a webhook secret)');
    }
  }

  async put(secrets: OwnerWebhookSecrets): Promise<void> {
    try {
      await this.o.client.send(
        new PutCommand({ TableName: this.o.tableName, Item: toItem(secrets) }),
      );
    } catch (err) {
      throw translateAwsError(err, 'DynamoDB (storing a webhook secret)');
    }
  }
}
