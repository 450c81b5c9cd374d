/**
 * The one backoff formula: exponential growth, a cap, and "equal jitter" (half of each step fixed,
 * the other half random), so retries of many callers spread out instead of arriving together,
 * while none comes back much sooner than planned. Used for the dispatcher's deferrals and retry
 * visibility (seconds) and for the ComfyUI client's GET retries (milliseconds); the unit is the
 * caller's. `random` is a parameter so tests can pin it.
 */
export function jitteredBackoff(
  base: number,
  max: number,
  step: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, Math.min(step, 30)));
  return ceiling / 2 + random() * (ceiling / 2);
}
