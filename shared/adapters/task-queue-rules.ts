/** Checks shared by the SQS adapter and the fake queue. */
import { MAX_DELAY_SECONDS } from '../ports/task-queue.js';

export function checkDelay(delaySeconds: number): void {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS)
    throw new RangeError(`delaySeconds must be a whole number from 0 to ${MAX_DELAY_SECONDS}`);
}
