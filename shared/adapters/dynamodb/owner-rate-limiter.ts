/**
 * OwnerRateLimiter on the tasks table: a token bucket per owner (`pk = RATE#<owner>`), kept as GCRA's
 * theoretical arrival time `tat` (epoch ms): each request moves it `1000 / perSecond` ms on, from
 * now at the latest, and is refused when that would put it more than `burst` intervals ahead of now.
 * So an owner gets `burst` requests at once and `perSecond` sustained, across every function and
 * container, with one conditional UpdateItem per request (two when the container's guess of the
 * owner's state is wrong: an idle owner's first request, or a busy one's on a fresh container).
 * A TTL removes the item a minute after the bucket is full again.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../ports/clock.js';
import type { OwnerRateLimiter, RateVerdict } from '../../ports/owner-rate-limiter.js';
import { RATE_LIMIT_KEY_PREFIX } from '../../resources.js';
import { translateAwsError } from '../aws/errors.js';

export interface OwnerRateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once (the bucket's size). */
  burst: number;
}

/** Owners whose state a container remembers (a hint only: the table is the truth). */
const HINTS = 10_000;

type Attempt = { ok: true; tat: number } | { ok: false; oldTat: number | undefined };

export class DynamoOwnerRateLimiter implements OwnerRateLimiter {
  private readonly interval: number;
  private readonly hints = new Map<string, number>();

  constructor(
    private readonly o: {
      doc: DynamoDBDocumentClient;
      tableName: string;
      clock: Clock;
      limit: OwnerRateLimit;
    },
  ) {
    this.interval = 1000 / o.limit.perSecond;
  }

  async take(owner: string): Promise<RateVerdict> {
    const now = this.o.clock.now();
    const ceiling = now + this.o.limit.burst * this.interval;
    let busy = (this.hints.get(owner) ?? 0) > now;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = busy ? await this.advance(owner, now, ceiling) : await this.restart(owner, now);
      if (r.ok) {
        this.remember(owner, r.tat);
        return { allowed: true };
      }
      busy = r.oldTat !== undefined && r.oldTat > now;
      if (busy && (r.oldTat as number) + this.interval > ceiling) {
        this.remember(owner, r.oldTat as number);
        return {
          allowed: false,
          retryAfterMs: Math.ceil((r.oldTat as number) + this.interval - ceiling),
        };
      }
    }
    // Lost three races in a row to the owner's own other requests: let this one through (the
    // stage throttle still bounds the total).
    return { allowed: true };
  }

  private remember(owner: string, tat: number) {
    this.hints.delete(owner);
    this.hints.set(owner, tat);
    if (this.hints.size > HINTS) this.hints.delete(this.hints.keys().next().value as string);
  }

  /** A busy owner: tat moves one interval on, if that stays within the burst. */
  private advance(owner: string, now: number, ceiling: number): Promise<Attempt> {
    return this.update(owner, {
      UpdateExpression: 'SET tat = tat + :t, expiresAt = :exp',
      ConditionExpression: 'tat > :now AND tat <= :last',
      ExpressionAttributeValues: {
        ':t': this.interval,
        ':now': now,
        ':last': ceiling - this.interval,
        ':exp': Math.ceil(ceiling / 1000) + 60,
      },
    });
  }

  /** An idle owner (no item, or tat in the past): tat starts again from now. */
  private restart(owner: string, now: number): Promise<Attempt> {
    return this.update(owner, {
      UpdateExpression: 'SET tat = :tat, expiresAt = :exp',
      ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
      ExpressionAttributeValues: {
        ':tat': now + this.interval,
        ':now': now,
        ':exp': Math.ceil((now + this.interval) / 1000) + 60,
      },
    });
  }

  private async update(
    owner: string,
    expr: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<Attempt> {
    try {
      const out = await this.o.doc.send(
        new UpdateCommand({
          TableName: this.o.tableName,
          Key: { pk: `${RATE_LIMIT_KEY_PREFIX}${owner}` },
          ...expr,
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, tat: Number(out.Attributes?.tat) };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const raw = err.Item?.tat?.N;
        return { ok: false, oldTat: raw === undefined ? undefined : Number(raw) };
      }
      throw translateAwsError(err, 'DynamoDB (the owner rate limit)');
    }
  }
}
