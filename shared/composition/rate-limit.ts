/**
 * The per-owner rate limit every API function applies before its own work (a token bucket per owner
 * in the tasks table), or none when OWNER_RATE_LIMIT_PER_SECOND is 0.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOwnerRateLimiter } from '../adapters/dynamodb/owner-rate-limiter.js';
import type { Config, OWNER_RATE_LIMIT_CONFIG } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { OwnerRateLimiter } from '../ports/owner-rate-limiter.js';

type RateLimitConfig = Pick<Config, 'TASKS_TABLE_NAME' | (typeof OWNER_RATE_LIMIT_CONFIG)[number]>;

/** `{ rateLimit }` to spread into a handler's observability, or `{}` when the limit is off. */
export function ownerRateLimitFor(
  config: RateLimitConfig,
  doc: DynamoDBDocumentClient,
  clock: Clock,
): { rateLimit?: OwnerRateLimiter } {
  if (config.OWNER_RATE_LIMIT_PER_SECOND <= 0) return {};
  return {
    rateLimit: new DynamoOwnerRateLimiter({
      doc,
      tableName: config.TASKS_TABLE_NAME,
      clock,
      limit: {
        perSecond: config.OWNER_RATE_LIMIT_PER_SECOND,
        burst: config.OWNER_RATE_LIMIT_BURST,
      },
    }),
  };
}
