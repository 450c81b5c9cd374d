/** Time source. Domain code never calls Date.now() directly. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
export const isoAt = (clock: Clock): string => new Date(clock.now()).toISOString();
