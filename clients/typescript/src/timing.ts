/** Sleeping and request deadlines that respect an AbortSignal, without AbortSignal.any/timeout. */
import { ComfyServerlessError } from './errors.js';

const aborted = (signal: AbortSignal) =>
  new ComfyServerlessError({
    status: 0,
    code: 'ABORTED',
    message: 'aborted',
    cause: signal.reason,
  });

/** Resolves after `ms`, or rejects with an `ABORTED` error when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(aborted(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that fires when the caller's does or after `timeoutMs`; call `done()` when finished. */
export function abortable(outer: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
