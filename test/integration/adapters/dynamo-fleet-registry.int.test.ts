/** DynamoFleetRegistry on DynamoDB Local: the shared contract and its failure translation. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoFleetRegistry } from '../../../shared/adapters/dynamodb/fleet-registry.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { fleetRegistryContract } from '../../contract/fleet-registry.contract.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

describe('DynamoFleetRegistry meets the FleetRegistry contract', () => {
  fleetRegistryContract(
    async (clock) =>
      new DynamoFleetRegistry({
        doc: stack.clients.doc,
        tableName: stack.names.tasksTable,
        clock,
        name: randomUUID(),
      }),
  );
});

describe('DynamoFleetRegistry failures', () => {
  it('turns an unreachable DynamoDB into DependencyUnavailableError', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const registry = new DynamoFleetRegistry({
      doc: DynamoDBDocumentClient.from(client),
      tableName: stack.names.tasksTable,
      clock: new FixedClock(),
    });
    await expect(registry.list()).rejects.toBeInstanceOf(DependencyUnavailableError);
    client.destroy();
  });
});
