/**
 * The per-owner rate limit on DynamoDB Local: a token bucket per owner shared by every function and
 * container (two limiters on one table stand for two containers), and through the API handlers: 429
 * RATE_LIMITED with Retry-After and the error shape, other owners unaffected.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOwnerRateLimiter } from '../../../shared/adapters/dynamodb/owner-rate-limiter.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { bodyOf } from '../../helpers/api-events.js';
import { type ApiStack, createApiStack } from '../../helpers/api-stack.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

describe('DynamoOwnerRateLimiter', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack();
  });
  const limiter = (clock: FixedClock, perSecond = 2, burst = 3) =>
    new DynamoOwnerRateLimiter({
      doc: stack.clients.doc,
      tableName: stack.names.tasksTable,
      clock,
      limit: { perSecond, burst },
    });

  it('allows a burst, then the sustained rate, and says how long to wait', async () => {
    const clock = new FixedClock();
    const a = limiter(clock);
    const b = limiter(clock); // another container
    const verdicts = [];
    for (const l of [a, b, a, b]) verdicts.push(await l.take('alice'));
    expect(verdicts.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(verdicts[3]).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(await a.take('bob')).toEqual({ allowed: true });

    clock.advance(499);
    expect((await b.take('alice')).allowed).toBe(false);
    clock.advance(1);
    expect(await b.take('alice')).toEqual({ allowed: true });
    expect((await a.take('alice')).allowed).toBe(false);

    // Idle long enough, the whole burst is back.
    clock.advance(10_000);
    for (let i = 0; i < 3; i++) expect((await a.take('alice')).allowed).toBe(true);
    expect((await b.take('alice')).allowed).toBe(false);
  });

  it('never lets more than the burst through when requests race', async () => {
    const clock = new FixedClock('2026-02-01T00:00:00Z');
    const containers = [limiter(clock, 1, 5), limiter(clock, 1, 5), limiter(clock, 1, 5)];
    const verdicts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => containers[i % 3]?.take('racer')),
    );
    expect(verdicts.filter((v) => v?.allowed).length).toBeLessThanOrEqual(5);
    expect(verdicts.filter((v) => v?.allowed).length).toBeGreaterThanOrEqual(3);
  });
});

describe('the API with a per-owner rate limit', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await createApiStack({ OWNER_RATE_LIMIT_PER_SECOND: '0.5', OWNER_RATE_LIMIT_BURST: '2' });
  });

  it('answers 429 RATE_LIMITED with Retry-After once an owner has used its burst, on every route', async () => {
    const owner = 'noisy';
    const unknownTask = '00000000-0000-4000-8000-000000000000';
    expect((await api.list({}, owner)).statusCode).toBe(200);
    expect((await api.status(unknownTask, owner)).statusCode).toBe(404);
    for (const res of [
      await api.list({}, owner),
      await api.submit({ template: 'txt2img', params: { prompt: 'x' } }, { owner }),
      await api.status(unknownTask, owner),
    ]) {
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers?.['retry-after'])).toBeLessThanOrEqual(2);
      expect(bodyOf(res)).toEqual({
        error: { code: 'RATE_LIMITED', message: expect.stringMatching(/retry after \d+ s/) },
      });
    }
    // Nothing was queued for the refused submit.
    expect(await api.drainQueue()).toEqual([]);
    // Another owner is not affected.
    expect((await api.list({}, 'quiet')).statusCode).toBe(200);
  });
});
