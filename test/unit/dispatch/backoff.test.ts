import { describe, expect, it } from 'vitest';
import {
  backoffSeconds,
  deferralDelaySeconds,
  retryVisibilitySeconds,
} from '../../../shared/dispatch/backoff.js';

const defer = { baseSeconds: 1, maxSeconds: 16 };

describe('backoff', () => {
  it('doubles each step up to the cap, at the top of the jitter', () => {
    const top = () => 0.999;
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => deferralDelaySeconds(defer, n, top))).toEqual([
      1, 2, 4, 8, 16, 16, 16,
    ]);
  });

  it('keeps at least half of each step whatever the jitter', () => {
    for (let n = 0; n < 8; n++) {
      const step = Math.min(16, 2 ** n);
      expect(deferralDelaySeconds(defer, n, () => 0)).toBeGreaterThanOrEqual(Math.floor(step / 2));
    }
  });

  it('never waits zero seconds unless the policy says so', () => {
    expect(backoffSeconds(defer, 0, () => 0)).toBe(1);
    expect(backoffSeconds({ baseSeconds: 0, maxSeconds: 0 }, 3, () => 0.5)).toBe(0);
  });

  it('counts retries from the first receive', () => {
    const retry = { baseSeconds: 10, maxSeconds: 300 };
    expect(retryVisibilitySeconds(retry, 1, () => 0.999)).toBe(10);
    expect(retryVisibilitySeconds(retry, 3, () => 0.999)).toBe(40);
    expect(retryVisibilitySeconds(retry, 50, () => 0.999)).toBe(300);
  });
});
