/**
 * API Gateway's stage throttling: a token bucket holding `burstLimit` requests, refilled at
 * `rateLimit` per second. A request finding it empty gets 429 `{"message":"Too Many Requests"}`.
 */
export interface ThrottleConfig {
  rateLimit: number;
  burstLimit: number;
}

export function tokenBucket(cfg: ThrottleConfig, now: () => number = Date.now) {
  let tokens = cfg.burstLimit;
  let last = now();
  return {
    /** True when the request may pass. */
    take(): boolean {
      const t = now();
      tokens = Math.min(cfg.burstLimit, tokens + ((t - last) / 1000) * cfg.rateLimit);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
