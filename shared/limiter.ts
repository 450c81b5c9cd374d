/**
 * At most `slots` async jobs at once. The poller copies outputs through one limiter so that a poll
 * with many finished tasks holds only a bounded number of S3 upload buffers in memory; the
 * dispatcher runs the records of one SQS batch through one.
 */
export interface Limiter {
  run<T>(job: () => Promise<T>): Promise<T>;
}

export function createLimiter(slots: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finishing job hands its slot straight to the next waiter, so `active` never overshoots.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    async run<T>(job: () => Promise<T>): Promise<T> {
      if (active < slots) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await job();
      } finally {
        release();
      }
    },
  };
}
