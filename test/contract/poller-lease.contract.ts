/** The PollerLease contract, run against the in-memory lease (unit) and DynamoDB Local (integration). */
import { beforeEach, expect, it } from 'vitest';
import type { PollerLease } from '../../shared/ports/poller-lease.js';
import type { FixedClock } from '../fakes/fixed-clock.js';

export interface PollerLeaseSubject {
  /** A lease nobody has held yet. */
  lease: PollerLease;
  /** The clock the lease reads. */
  clock: FixedClock;
}

export function pollerLeaseContract(makeSubject: () => Promise<PollerLeaseSubject>): void {
  let lease: PollerLease;
  let clock: FixedClock;
  beforeEach(async () => {
    ({ lease, clock } = await makeSubject());
  });

  it('grants the lease to one of several invocations asking at once', async () => {
    const holders = ['a', 'b', 'c'];
    const grants = await Promise.all(holders.map((h) => lease.acquire(h, 15_000)));
    expect(grants.filter((g) => g.acquired)).toHaveLength(1);
    const winner = holders[grants.findIndex((g) => g.acquired)];
    for (const g of grants.filter((g) => !g.acquired))
      expect(g).toEqual({ acquired: false, heldBy: winner });
  });

  it('grants a fresh lease without a last poll time, and again to its holder', async () => {
    expect(await lease.acquire('a', 1000)).toEqual({ acquired: true });
    expect((await lease.acquire('a', 1000)).acquired).toBe(true);
  });

  it('lets the holder renew, and refuses a renewal once someone else took an expired lease', async () => {
    expect((await lease.acquire('a', 1000)).acquired).toBe(true);
    expect(await lease.renew('a', 1000, 123)).toBe(true);
    clock.advance(1000);
    expect((await lease.acquire('b', 1000)).acquired).toBe(false);
    clock.advance(1);
    expect(await lease.acquire('b', 1000)).toEqual({ acquired: true, lastPollAt: 123 });
    expect(await lease.renew('a', 1000)).toBe(false);
    expect(await lease.renew('b', 1000)).toBe(true);
  });

  it('refuses a renewal by an invocation that never held the lease', async () => {
    await lease.acquire('a', 1000);
    expect(await lease.renew('z', 1000)).toBe(false);
  });

  it('frees the lease on release, keeping the last poll time; a release by another is a no-op', async () => {
    await lease.acquire('a', 60_000);
    await lease.release('zzz', 999);
    expect((await lease.acquire('b', 60_000)).acquired).toBe(false);
    await lease.release('a', 777);
    expect(await lease.acquire('b', 60_000)).toEqual({ acquired: true, lastPollAt: 777 });
  });
}
