import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoPollerLease } from '../../../shared/adapters/dynamodb/poller-lease.js';
import { pollerLeaseContract } from '../../contract/poller-lease.contract.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
const lease = (clock: FixedClock, name: string) =>
  new DynamoPollerLease({
    doc: stack.clients.doc,
    tableName: stack.names.tasksTable,
    clock,
    name,
  });

describe('DynamoPollerLease meets the PollerLease contract', () => {
  pollerLeaseContract(async () => {
    const clock = new FixedClock();
    return { lease: lease(clock, `contract-${randomUUID()}`), clock };
  });
});

describe('DynamoPollerLease (DynamoDB Local)', () => {
  it('keeps the item after a release, with its last poll time and a TTL', async () => {
    const clock = new FixedClock();
    const l = lease(clock, 'release');
    await l.acquire('a', 60_000);
    await l.release('a', 777);
    await l.release('zzz', 999);
    const next = await l.acquire('b', 60_000);
    const item = await stack.clients.doc.send(
      new GetCommand({ TableName: stack.names.tasksTable, Key: { pk: 'LEASE#release' } }),
    );
    expect(next).toEqual({ acquired: true, lastPollAt: 777 });
    expect(item.Item).toMatchObject({ holder: 'b', lastPollAt: 777 });
    expect(item.Item?.expiresAt).toBeGreaterThan(clock.now() / 1000);
  });
});
