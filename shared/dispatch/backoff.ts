/**
 * The two delays of the dispatch pipeline, as pure functions of an attempt count and a random source
 * (so tests can pin them). Both grow exponentially, are capped, and use "equal jitter": half of the
 * step is fixed, the other half random, so retries of many tasks spread out instead of arriving
 * together, while none comes back much sooner than planned.
 */

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
  const step = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.max(0, Math.min(n, 30)));
  const jittered = step / 2 + random() * (step / 2);
  return Math.min(policy.maxSeconds, Math.max(Math.round(jittered), Math.min(1, step)));
}

/** SQS limits: DelaySeconds 0..900; visibility 0..43200. */
export const MAX_DELAY_SECONDS = 900;
export const MAX_VISIBILITY_SECONDS = 43_200;

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
