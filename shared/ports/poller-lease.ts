/**
 * A single-holder lease for the poller (a `LEASE#<name>` item in the tasks table in production). It
 * keeps two invocations from polling at once; it is an optimisation, not a correctness guard, because
 * every task write the poller makes is conditional anyway. A crashed holder's lease simply expires.
 */
export interface LeaseGrant {
  acquired: boolean;
  /** Epoch ms of the last poll any holder recorded (for PollerLagSeconds across invocations). */
  lastPollAt?: number;
  /** Who holds it when `acquired` is false. */
  heldBy?: string;
}

export interface PollerLease {
  /** Take the lease for `ttlMs` if nobody holds it, the holder's time ran out, or `holder` has it. */
  acquire(holder: string, ttlMs: number): Promise<LeaseGrant>;
  /**
   * Extend our lease by `ttlMs` from now and record `lastPollAt`. False when someone else took it
   * (our lease had expired): the caller must stop polling.
   */
  renew(holder: string, ttlMs: number, lastPollAt?: number): Promise<boolean>;
  /** Give the lease up at once (recording `lastPollAt`); a no-op if we no longer hold it. */
  release(holder: string, lastPollAt?: number): Promise<void>;
}
