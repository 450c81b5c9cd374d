/**
 * The bench's own SDK clients (setup and checks: keys, loading tasks). Built directly, not through
 * createAwsClients, so the usage meter never counts the bench's own requests as the system's.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function benchDocClient(region: string, endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region, endpoint, maxAttempts: 10 }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
