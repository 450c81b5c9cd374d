/**
 * Per-owner request rate: every API request of an owner takes a token; a request that finds none is
 * refused (429 RATE_LIMITED with Retry-After). The stage throttle of API Gateway stays the global
 * ceiling; this keeps one noisy owner from using it all.
 */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface OwnerRateLimiter {
  take(owner: string): Promise<RateVerdict>;
}
