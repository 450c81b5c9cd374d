/** Small tools for handling one SQS batch: reading messages, bounded concurrency, per-key order. */
import { decodeDispatchMessage } from '../adapters/sqs/dispatch-message.js';
import type { DispatchMessage } from '../ports/task-queue.js';

/** The record's dispatch message, or undefined for a body that is not one (a poison message). */
export function readMessage(body: string): DispatchMessage | undefined {
  try {
    return decodeDispatchMessage(body);
  } catch {
    return undefined;
  }
}

/** Run at most `n` of the given jobs at a time. */
export function createLimiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    // A finishing job hands its slot straight to the next waiter, so none can slip in between.
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** Jobs with the same key run one after another (two copies of one message in a batch). */
export function createKeyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, job: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const next = prev.then(job, job);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}
