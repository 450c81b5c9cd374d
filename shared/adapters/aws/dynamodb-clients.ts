/** The DynamoDB client and its document client, built once per container. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { notifyAwsClients } from './observers.js';

export function createDynamoClients(
  cfg: { region: string; dynamodbEndpoint?: string },
  opts: { observe?: boolean } = {},
): { dynamodb: DynamoDBClient; doc: DynamoDBDocumentClient } {
  const dynamodb = new DynamoDBClient({
    region: cfg.region,
    ...(cfg.dynamodbEndpoint ? { endpoint: cfg.dynamodbEndpoint } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const clients = { dynamodb, doc };
  if (opts.observe !== false) notifyAwsClients(clients);
  return clients;
}
