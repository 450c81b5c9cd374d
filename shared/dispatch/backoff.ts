/**
 * The two delays of the dispatch pipeline, as pure functions of an attempt count and a random source
 * (so tests can pin them), both from the one backoff formula (`shared/backoff.ts`) in whole seconds
 * and within SQS's limits.
 */
import { jitteredBackoff } from '../backoff.js';
import { MAX_VISIBILITY_SECONDS } from '../ports/message-visibility.js';
import { MAX_DELAY_SECONDS } from '../ports/task-queue.js';

export interface BackoffPolicy {
  /** Delay of the first step, in seconds. */
  baseSeconds: number;
  /** No delay exceeds this. */
  maxSeconds: number;
}

/** `n`-th step (0-based): min(max, base * 2^n), then equal jitter; whole seconds. */
export function backoffSeconds(
  policy: BackoffPolicy,
  n: number,
  random: () => number = Math.random,
): number {
  const jittered = jitteredBackoff(policy.baseSeconds, policy.maxSeconds, n, random);
  return Math.min(
    policy.maxSeconds,
    Math.max(Math.round(jittered), Math.min(1, policy.baseSeconds)),
  );
}

/**
 * How long a message whose ComfyUI servers were all full waits before it is looked at again:
 * 1 s, 2 s, 4 s, ... up to the cap (defaults in config), by the number of earlier deferrals.
 */
export const deferralDelaySeconds = (
  policy: BackoffPolicy,
  deferrals: number,
  random?: () => number,
): number => Math.min(MAX_DELAY_SECONDS, backoffSeconds(policy, deferrals, random));

/**
 * How long a message that failed (ComfyUI unreachable, a dependency down) stays invisible before SQS
 * redelivers it, by its receive count (1 on the first failure). Replaces the queue's long default
 * visibility timeout, which exists for crashed invocations, not for retries.
 */
export const retryVisibilitySeconds = (
  policy: BackoffPolicy,
  receiveCount: number,
  random?: () => number,
): number => Math.min(MAX_VISIBILITY_SECONDS, backoffSeconds(policy, receiveCount - 1, random));
