/**
 * Retries for idempotent GETs only: the one backoff formula (`shared/backoff.ts`), and only for retryable
 * errors (ComfyUnavailableError). POSTs are never retried here: a POST /prompt that timed out may have
 * been queued, so the caller must look the prompt up before submitting again.
 */
import { jitteredBackoff } from '../../backoff.js';
import { DomainError } from '../../domain/errors.js';

export interface RetryPolicy {
  /** Extra attempts after the first. @default 2 */
  retries: number;
  /** First backoff ceiling in ms. @default 100 */
  baseDelayMs: number;
  /** Largest backoff ceiling in ms. @default 2000 */
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 100, maxDelayMs: 2000 };

/** Delay before retry `attempt + 1`: in [c/2, c) for c = min(max, base * 2^attempt), whole ms. */
export const backoffDelay = (policy: RetryPolicy, attempt: number, random = Math.random): number =>
  Math.floor(jitteredBackoff(policy.baseDelayMs, policy.maxDelayMs, attempt, random));

export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  onRetry?: (err: DomainError, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const retryable = err instanceof DomainError && err.retryable;
      if (!retryable || attempt >= policy.retries) throw err;
      const delay = backoffDelay(policy, attempt);
      onRetry?.(err, attempt + 1, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
