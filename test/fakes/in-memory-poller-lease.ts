import type { Clock } from '../../shared/ports/clock.js';
import type { LeaseGrant, PollerLease } from '../../shared/ports/poller-lease.js';

/** The lease in memory, with the same rules as the DynamoDB adapter. */
export class InMemoryPollerLease implements PollerLease {
  holder: string | undefined;
  leaseUntil = 0;
  lastPollAt: number | undefined;
  constructor(private readonly clock: Clock) {}

  async acquire(holder: string, ttlMs: number): Promise<LeaseGrant> {
    const now = this.clock.now();
    if (this.holder !== undefined && this.holder !== holder && this.leaseUntil >= now) {
      return { acquired: false, heldBy: this.holder };
    }
    this.holder = holder;
    this.leaseUntil = now + ttlMs;
    return {
      acquired: true,
      ...(this.lastPollAt !== undefined ? { lastPollAt: this.lastPollAt } : {}),
    };
  }

  async renew(holder: string, ttlMs: number, lastPollAt?: number): Promise<boolean> {
    if (this.holder !== holder) return false;
    this.leaseUntil = this.clock.now() + ttlMs;
    if (lastPollAt !== undefined) this.lastPollAt = lastPollAt;
    return true;
  }

  async release(holder: string, lastPollAt?: number): Promise<void> {
    if (this.holder !== holder) return;
    this.leaseUntil = 0;
    if (lastPollAt !== undefined) this.lastPollAt = lastPollAt;
  }
}
