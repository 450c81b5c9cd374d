/** Checks shared by the SQS adapter and the fake queue. */

/** SQS accepts a per-message delay of 0 to 900 whole seconds. */
export const MAX_DELAY_SECONDS = 900;

export function checkDelay(delaySeconds: number): void {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS)
    throw new RangeError(`delaySeconds must be a whole number from 0 to ${MAX_DELAY_SECONDS}`);
}
