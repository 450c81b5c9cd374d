/**
 * The poller lease as one item in the tasks table: `pk = LEASE#<name>`, with the holder, the epoch ms
 * its hold ends (`leaseUntil`), the last poll time, and a TTL (`expiresAt`) that removes the item a
 * day after the last holder's time ran out. Every write is conditional on who holds it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../ports/clock.js';
import type { LeaseGrant, PollerLease } from '../../ports/poller-lease.js';
import { translateAwsError } from '../aws/errors.js';

const DAY_SECONDS = 24 * 3600;

export interface DynamoPollerLeaseOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
  /** @default 'poller' */
  name?: string;
}

export class DynamoPollerLease implements PollerLease {
  private readonly key: { pk: string };
  constructor(private readonly opts: DynamoPollerLeaseOptions) {
    this.key = { pk: `LEASE#${opts.name ?? 'poller'}` };
  }

  private expiry(until: number) {
    return Math.ceil(until / 1000) + DAY_SECONDS;
  }

  async acquire(holder: string, ttlMs: number): Promise<LeaseGrant> {
    const now = this.opts.clock.now();
    try {
      const out = await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: this.key,
          UpdateExpression: 'SET holder = :me, leaseUntil = :until, expiresAt = :exp',
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR holder = :me',
          ExpressionAttributeValues: {
            ':me': holder,
            ':until': now + ttlMs,
            ':exp': this.expiry(now + ttlMs),
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const last = out.Attributes?.lastPollAt;
      return { acquired: true, ...(typeof last === 'number' ? { lastPollAt: last } : {}) };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const heldBy = err.Item?.holder?.S;
        return { acquired: false, ...(heldBy ? { heldBy } : {}) };
      }
      throw translateAwsError(err, 'Taking the poller lease');
    }
  }

  private async updateHeld(holder: string, until: number, lastPollAt?: number): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':me': holder,
      ':until': until,
      ':exp': this.expiry(until),
    };
    let set = 'SET leaseUntil = :until, expiresAt = :exp';
    if (lastPollAt !== undefined) {
      set += ', lastPollAt = :last';
      values[':last'] = lastPollAt;
    }
    try {
      await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: this.key,
          UpdateExpression: set,
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw translateAwsError(err, 'Updating the poller lease');
    }
  }

  renew(holder: string, ttlMs: number, lastPollAt?: number): Promise<boolean> {
    return this.updateHeld(holder, this.opts.clock.now() + ttlMs, lastPollAt);
  }

  async release(holder: string, lastPollAt?: number): Promise<void> {
    // The item stays (with its lastPollAt); only the hold ends, so the next taker needs no wait.
    await this.updateHeld(holder, 0, lastPollAt);
  }
}
