/** Small tools for handling one SQS batch: reading messages, per-key order. */
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
