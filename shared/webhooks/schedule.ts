/**
 * When a failed webhook delivery is tried again: Standard Webhooks' suggested schedule (the one Svix
 * uses): immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, eight attempts over
 * about 27.5 hours. Each delay gets ±20 % jitter so receivers coming back from an outage are not hit
 * by every retry at once. After the last attempt the event goes to the dead-letter queue.
 */
import { MAX_VISIBILITY_SECONDS } from '../ports/message-visibility.js';

export const STANDARD_RETRY_DELAYS_SECONDS: readonly number[] = [
  5, 300, 1800, 7200, 18_000, 36_000, 36_000,
];

/** Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed; undefined: give up. */
export function retryDelaySeconds(
  delays: readonly number[],
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  const base = delays[attempt - 1];
  if (base === undefined) return undefined;
  return Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, Math.round(base * (0.8 + 0.4 * random()))));
}
