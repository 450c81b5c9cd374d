import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoPollerLease } from '../../../shared/adapters/dynamodb/poller-lease.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

describe('DynamoPollerLease (DynamoDB Local)', () => {
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

  it('grants the lease to one of two invocations asking at once', async () => {
    const clock = new FixedClock();
    const l = lease(clock, 'race');
    const grants = await Promise.all(['a', 'b', 'c'].map((h) => l.acquire(h, 15_000)));
    expect(grants.filter((g) => g.acquired)).toHaveLength(1);
    const loser = grants.find((g) => !g.acquired);
    const winner = ['a', 'b', 'c'][grants.findIndex((g) => g.acquired)];
    expect(loser?.heldBy).toBe(winner);
  });

  it('lets the holder renew, and refuses a renewal once someone else took an expired lease', async () => {
    const clock = new FixedClock();
    const l = lease(clock, 'renew');
    expect((await l.acquire('a', 1000)).acquired).toBe(true);
    expect(await l.renew('a', 1000, 123)).toBe(true);
    expect((await l.acquire('b', 1000)).acquired).toBe(false);
    clock.advance(1001);
    const taken = await l.acquire('b', 1000);
    expect(taken).toEqual({ acquired: true, lastPollAt: 123 });
    expect(await l.renew('a', 1000)).toBe(false);
  });

  it('frees the lease on release, keeping the last poll time, with a TTL on the item', async () => {
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
